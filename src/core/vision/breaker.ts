/**
 * Stops calling a model (or an unreachable provider) that keeps failing: after `threshold` transient failures in
 * a row it is left alone for a cooldown that doubles each time it opens again (1 min, 2, 4 … up to 15 min). After
 * a pause one call is let through; if it fails too, the pause starts again at once (no `threshold` more calls).
 */
export class CircuitBreaker {
  private readonly state = new Map<string, { failures: number; opens: number; until?: number }>();

  constructor(
    readonly threshold = 5,
    private readonly baseCooldownMs = 60_000,
    private readonly maxCooldownMs = 15 * 60_000,
  ) {}

  /** When the model may be called again, if it is paused now. */
  openUntil(model: string, now = Date.now()): number | undefined {
    const until = this.state.get(model)?.until;
    return until !== undefined && until > now ? until : undefined;
  }

  success(model: string): void {
    this.state.delete(model);
  }

  /** Count a failure; returns the end of the pause when this one opens the circuit. */
  failure(model: string, now = Date.now()): number | undefined {
    const entry = this.state.get(model) ?? { failures: 0, opens: 0 };
    if (entry.until !== undefined && entry.until > now) return undefined; // a call that started before the pause
    entry.failures++;
    this.state.set(model, entry);
    if (entry.failures < this.threshold && entry.opens === 0) return undefined;
    entry.failures = 0;
    entry.opens++;
    entry.until = now + Math.min(this.maxCooldownMs, this.baseCooldownMs * 2 ** (entry.opens - 1));
    return entry.until;
  }
}
