/**
 * Which photos the workers are on, since when and at which stage: a worker far past every bound in one stage
 * is stuck (`/readyz` says so). Waiting for a model slot is not being stuck: a backlog of photos read ahead
 * waits as long as the model takes for the ones before them.
 */
export class WorkerActivity {
  private readonly since = new Map<string, { started: number; stage?: string; stageSince: number }>();

  begin(file: string, now = Date.now()): void {
    this.since.set(file, { started: now, stageSince: now });
  }

  /** The stage a photo in progress has reached (reading, waiting, analyzing, writing), for the dashboard. */
  stage(file: string, stage: string, now = Date.now()): void {
    const entry = this.since.get(file);
    if (entry) Object.assign(entry, { stage, stageSince: now });
  }

  end(file: string): void {
    this.since.delete(file);
  }

  /** Photos in progress, longest first. */
  inProgress(now = Date.now()): { file: string; stage?: string; ms: number }[] {
    return [...this.since].map(([file, { started, stage }]) => ({ file, stage, ms: now - started })).sort((a, b) => b.ms - a.ms);
  }

  /** Photos in one stage (not waiting for a model slot) for longer than `boundMs`, longest first. */
  stuck(boundMs: number, now = Date.now()): { file: string; ms: number }[] {
    return [...this.since]
      .filter(([, entry]) => entry.stage !== 'waiting' && now - entry.stageSince > boundMs)
      .map(([file, entry]) => ({ file, ms: now - entry.stageSince }))
      .sort((a, b) => b.ms - a.ms);
  }

  get running(): number {
    return this.since.size;
  }
}

/**
 * How long one photo may legitimately take: every attempt's model calls (a repair doubles them) run into the
 * timeout at worst, plus a margin for reading, decoding and the verified write.
 */
export function stuckBoundMs(timeoutSeconds: number, maxAttempts: number, marginSeconds = 60): number {
  return (timeoutSeconds * 2 * maxAttempts + marginSeconds) * 1000;
}
