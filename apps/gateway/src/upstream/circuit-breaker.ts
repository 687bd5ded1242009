export type BreakerOptions = { failureThreshold: number; openMs: number };
type State = { failures: number; openedAt: number | null; trialInFlight: boolean };

/**
 * One breaker per provider. After `failureThreshold` consecutive failed calls (5xx, 429,
 * connection errors) the provider is skipped for `openMs` (the route falls back to the next
 * provider at once instead of waiting on retries); then one trial call is let through, and its
 * outcome closes or reopens the breaker.
 */
export class CircuitBreaker {
  private readonly states = new Map<string, State>();

  constructor(
    private readonly options: BreakerOptions = { failureThreshold: 5, openMs: 30_000 },
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether a call to this provider may go out now. */
  allow(provider: string): boolean {
    const s = this.states.get(provider);
    if (!s || s.openedAt === null) return true;
    if (this.now() - s.openedAt < this.options.openMs) return false;
    if (s.trialInFlight) return false;
    s.trialInFlight = true;
    return true;
  }

  /** A trial call that ended without a verdict (the client left): let the next one try. */
  release(provider: string): void {
    const s = this.states.get(provider);
    if (s) s.trialInFlight = false;
  }

  success(provider: string): void {
    this.states.delete(provider);
  }

  failure(provider: string): void {
    const s = this.states.get(provider) ?? { failures: 0, openedAt: null, trialInFlight: false };
    s.failures += 1;
    s.trialInFlight = false;
    if (s.failures >= this.options.failureThreshold) s.openedAt = this.now();
    this.states.set(provider, s);
  }

  isOpen(provider: string): boolean {
    const s = this.states.get(provider);
    return s?.openedAt !== null && s !== undefined && this.now() - s.openedAt < this.options.openMs;
  }
}
