import { setTimeout as sleep } from 'node:timers/promises';

/**
 * `--rpm`: each model call starts at least 60/rpm seconds after the one before, in the order they asked, so
 * any 60 seconds hold at most `rpm` calls. A count per fixed window (p-queue's interval) let two calls through
 * a few milliseconds apart across a window's edge, which a provider counting over a sliding minute refuses.
 */
export class CallSpacing {
  private nextStart = 0;

  constructor(private readonly gapMs: number) {
    if (!Number.isFinite(gapMs) || gapMs <= 0)
      throw new TypeError(`CallSpacing: gapMs must be a positive number (got ${String(gapMs)}, ${typeof gapMs})`);
  }

  static perMinute(rpm: number): CallSpacing {
    return new CallSpacing(Math.ceil(60_000 / rpm));
  }

  async run<T>(call: () => Promise<T>): Promise<T> {
    // The monotonic clock: a daemon's wall clock may be set back by NTP while it runs.
    const now = performance.now();
    const start = Math.max(now, this.nextStart);
    // Reserved before waiting: callers keep their order, and none shares a start.
    this.nextStart = start + this.gapMs;
    if (start > now) await sleep(Math.ceil(start - now));
    return call();
  }
}
