/** Which photos the workers are on and since when: a worker far past every bound is stuck (`/readyz` says so). */
export class WorkerActivity {
  private readonly since = new Map<string, number>();

  begin(file: string, now = Date.now()): void {
    this.since.set(file, now);
  }

  end(file: string): void {
    this.since.delete(file);
  }

  /** Photos in progress for longer than `boundMs`, longest first. */
  stuck(boundMs: number, now = Date.now()): { file: string; ms: number }[] {
    return [...this.since]
      .map(([file, started]) => ({ file, ms: now - started }))
      .filter((entry) => entry.ms > boundMs)
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
