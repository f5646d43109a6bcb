import { setTimeout as sleep } from 'node:timers/promises';

/**
 * `--rpm`: each model call starts at least 60/rpm seconds after the one before really started, in the order
 * they asked, so any 60 seconds hold at most `rpm` calls. A count per fixed window (p-queue's interval) let two
 * calls through a few milliseconds apart across a window's edge, which a provider counting over a sliding
 * minute refuses.
 */
export class CallSpacing {
  /** When the call before the newest one started (the monotonic clock: NTP may set a daemon's wall clock back). */
  private previousStart: Promise<number> = Promise.resolve(Number.NEGATIVE_INFINITY);

  constructor(private readonly gapMs: number) {
    if (!Number.isFinite(gapMs) || gapMs <= 0)
      throw new TypeError(`CallSpacing: gapMs must be a positive number (got ${String(gapMs)}, ${typeof gapMs})`);
  }

  static perMinute(rpm: number): CallSpacing {
    return new CallSpacing(Math.ceil(60_000 / rpm));
  }

  async run<T>(call: () => Promise<T>): Promise<T> {
    // Measured from the previous call's real start, not its planned one: a timer that fired late must not
    // bring the next call closer.
    const myStart = this.previousStart.then(async (previous) => {
      for (let wait = previous + this.gapMs - performance.now(); wait > 0; wait = previous + this.gapMs - performance.now())
        await sleep(Math.ceil(wait));
      return performance.now();
    });
    this.previousStart = myStart;
    await myStart;
    return call();
  }
}
