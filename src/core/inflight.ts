import type { Analysis } from './types.js';

/**
 * Answers being asked for right now, by cache key, per store (one per session). Two identical photos in one
 * run (concurrency 2) then cost one model call: the second waits for the first's answer. Not durable state: a
 * restart simply asks again, or finds the answer in the cache.
 */
const pending = new WeakMap<object, Map<string, Promise<Analysis>>>();

/** `ask` for the answer, unless the same question is already out: then wait for that answer (a free one). */
export function askOnce(owner: object, key: string, ask: () => Promise<Analysis>): Promise<Analysis> {
  let inFlight = pending.get(owner);
  if (!inFlight) {
    inFlight = new Map();
    pending.set(owner, inFlight);
  }
  const running = inFlight.get(key);
  if (running) return running.then((analysis) => ({ ...analysis, cacheHit: true, tokensIn: 0, tokensOut: 0, cost: 0 }));
  const asking = ask();
  inFlight.set(key, asking);
  const done = () => {
    if (inFlight.get(key) === asking) inFlight.delete(key);
  };
  asking.then(done, done);
  return asking;
}
