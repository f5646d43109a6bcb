import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { CallSpacing } from '../../src/core/vision/spacing.js';

describe('--rpm spacing of model calls', () => {
  it('starts calls at least 60/rpm apart, in the order asked, also across idle pauses (no burst at a window edge)', async () => {
    const spacing = CallSpacing.perMinute(600); // one call every 100 ms
    const starts: { n: number; at: number }[] = [];
    const calls: Promise<void>[] = [];
    let n = 0;
    // Bursts, idle gaps just under and just over the spacing: where a count per fixed window let two calls through together.
    for (const pause of [0, 0, 0, 150, 95, 0, 230, 20, 105, 0, 0, 310, 99, 101]) {
      await sleep(pause);
      const mine = n++;
      calls.push(spacing.run(async () => void starts.push({ n: mine, at: performance.now() })));
    }
    await Promise.all(calls);
    expect(starts.map((s) => s.n)).toEqual([...Array(n).keys()]);
    // Measured where the spacing lets each call go (the same tick): no slack needed but the clock's own.
    for (let i = 1; i < starts.length; i++) expect(starts[i]!.at - starts[i - 1]!.at).toBeGreaterThanOrEqual(99.9);
  });

  it('names the option and the value it refuses', () => {
    expect(() => new CallSpacing(0)).toThrow('CallSpacing: gapMs must be a positive number (got 0, number)');
  });
});
