/**
 * Skips a failing remote for a while, so a dead or stalled server costs a
 * build one timeout, not one per rustc call.
 *
 * closed    → requests go through; `threshold` consecutive failures, or a
 *             single timeout (the expensive kind), open it.
 * open      → every request is refused at once until `cooldownMs` has passed.
 * half-open → one probe request goes through: success closes the breaker,
 *             failure opens it for twice the last cool-down (at most
 *             MAX_BACKOFF times `cooldownMs`).
 *
 * The doubling is for a server that stays broken, a stalled or trickling one
 * above all: with a fixed cool-down every 30 s one call of the build waited
 * out a timeout again; doubled, a 10-minute build pays 4 probes, not 20.
 */
/** The longest cool-down, as a multiple of the configured one (30 s → 8 min). */
const MAX_BACKOFF = 16;

export class CircuitBreaker {
  private failures = 0;
  private openUntil = 0;
  private probing = false;
  /** The cool-down of the current (or next) opening: cooldownMs, doubled by each failed probe. */
  private currentCooldownMs: number;
  private readonly listeners: (() => void)[] = [];
  /** How many times the breaker has opened: for stats and tests. */
  trips = 0;
  /** The fault of the latest failure given one. */
  lastCause: Error | undefined;

  constructor(
    private readonly threshold: number,
    private readonly cooldownMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.currentCooldownMs = cooldownMs;
  }

  /** True if a request may be sent now. In half-open state, only the first caller gets true. */
  allow(): boolean {
    if (this.openUntil === 0) return true;
    if (this.now() < this.openUntil || this.probing) return false;
    this.probing = true;
    return true;
  }

  /**
   * Lets the next request through as a probe now, not when the cool-down ends:
   * for a last try that matters more than its cost (`server stop` flushing the
   * uploads of a CI job that ends, after the remote failed earlier in it).
   */
  probeNow(): void {
    // Never 0, which means closed.
    if (this.openUntil !== 0 && !this.probing) this.openUntil = Math.max(1, Math.min(this.openUntil, this.now()));
  }

  get isOpen(): boolean {
    return this.openUntil !== 0 && (this.now() < this.openUntil || this.probing);
  }

  /** Milliseconds until a probe may be sent (0 when closed or ready to probe). */
  get retryInMs(): number {
    return this.openUntil === 0 ? 0 : Math.max(0, this.openUntil - this.now());
  }

  success(): void {
    this.failures = 0;
    this.openUntil = 0;
    this.probing = false;
    this.currentCooldownMs = this.cooldownMs;
  }

  /**
   * A request the server answered without serving it (a write refused with a 5xx or 429, while its
   * reads may work): neither a failure nor a success, but for the half-open probe, which it
   * answered: the server is up, and the breaker closes. Left as it was, the probe's flag stayed
   * set, and every request after it was refused for good (a review helper's repro).
   */
  answered(): void {
    if (this.probing) this.success();
  }

  /**
   * `broken`: a server that answers, but with what can't be read, again and again (RemoteCache): it opens at once, as a timeout does.
   * `cause`, the fault, is kept as `lastCause`: a request the open breaker refuses names it (`explain` said only that it was open).
   */
  failure(kind: 'error' | 'timeout' | 'broken', cause?: Error): void {
    if (cause) this.lastCause = cause;
    this.failures++;
    const wasProbe = this.probing;
    this.probing = false;
    if (wasProbe) this.currentCooldownMs = Math.min(this.currentCooldownMs * 2, this.cooldownMs * MAX_BACKOFF);
    if (kind !== 'error' || wasProbe || this.failures >= this.threshold) this.trip();
  }

  /** Called whenever the breaker opens (the client aborts requests still in flight). */
  onOpen(fn: () => void): void {
    this.listeners.push(fn);
  }

  private trip(): void {
    const wasOpen = this.openUntil !== 0 && this.now() < this.openUntil;
    this.openUntil = this.now() + this.currentCooldownMs;
    if (wasOpen) return;
    this.trips++;
    for (const fn of this.listeners) fn();
  }
}
