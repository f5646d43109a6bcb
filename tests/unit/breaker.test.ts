import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../src/core/vision/breaker.js';

describe('CircuitBreaker', () => {
  it('opens after the threshold of failures in a row, for a cooldown that doubles', () => {
    const breaker = new CircuitBreaker(3, 1000, 10_000);
    const now = 1_000_000;
    expect(breaker.failure('m', now)).toBeUndefined();
    expect(breaker.failure('m', now)).toBeUndefined();
    expect(breaker.failure('m', now)).toBe(now + 1000);
    expect(breaker.openUntil('m', now + 500)).toBe(now + 1000);
    expect(breaker.openUntil('m', now + 1000)).toBeUndefined();
    // Failures of calls made before the pause do not lengthen it; after it, one failed call pauses again.
    expect(breaker.failure('m', now + 10)).toBeUndefined();
    expect(breaker.failure('m', now + 1000)).toBe(now + 3000);
    expect(breaker.openUntil('other', now)).toBeUndefined();
  });

  it('closes on a success', () => {
    const breaker = new CircuitBreaker(2, 1000);
    breaker.failure('m', 0);
    breaker.success('m');
    expect(breaker.failure('m', 0)).toBeUndefined();
  });
});
