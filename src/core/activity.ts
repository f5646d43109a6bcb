/** Which photos the workers are on, since when and at which stage: a worker far past every bound is stuck (`/readyz` says so). */
export class WorkerActivity {
  private readonly since = new Map<string, { started: number; stage?: string }>();

  begin(file: string, now = Date.now()): void {
    this.since.set(file, { started: now });
  }

  /** The stage a photo in progress has reached (reading, analyzing, writing), for the dashboard. */
  stage(file: string, stage: string): void {
    const entry = this.since.get(file);
    if (entry) entry.stage = stage;
  }

  end(file: string): void {
    this.since.delete(file);
  }

  /** Photos in progress, longest first. */
  inProgress(now = Date.now()): { file: string; stage?: string; ms: number }[] {
    return [...this.since].map(([file, { started, stage }]) => ({ file, stage, ms: now - started })).sort((a, b) => b.ms - a.ms);
  }

  /** Photos in progress for longer than `boundMs`, longest first. */
  stuck(boundMs: number, now = Date.now()): { file: string; ms: number }[] {
    return this.inProgress(now)
      .filter((entry) => entry.ms > boundMs)
      .map(({ file, ms }) => ({ file, ms }));
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
