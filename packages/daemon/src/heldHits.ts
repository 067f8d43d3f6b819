import type { AuditEvent } from '@splitcache/store';

/** A hit's audit line (outcome `hit`, with its entry key, bytes and time saved), as it is written once counted. */
export type HeldHit = Omit<AuditEvent, 'time'>;

/**
 * Hits whose link step is still to run, held by their call's token. Such a
 * hit is counted (stats and audit line) only when its call ends: as a hit if
 * its link went well or nothing more is known (a client gone), and as a miss
 * if the call was built plainly after all (its link failed, or its output was
 * lost to a full runs dir). Before, it was counted as a hit when planned, so a
 * crate that rustc compiled again showed as served from the cache.
 */
export class HeldHits {
  private readonly held = new Map<string, HeldHit>();

  /** `count(hit, failed)`: `failed` names why the call was built plainly instead, or is undefined for a hit. */
  constructor(private readonly count: (hit: HeldHit, failed?: string) => void) {}

  hold(token: string, hit: HeldHit): void {
    // Bounded as a safeguard: a client that never ends its calls would grow it for good.
    if (this.held.size >= 10_000) this.end(this.held.keys().next().value!);
    this.held.set(token, hit);
  }

  /** Counts the held hit of `token`, if there is one, and returns it. */
  end(token: string, failed?: string): HeldHit | undefined {
    const hit = this.held.get(token);
    if (!hit) return undefined;
    this.held.delete(token);
    this.count(hit, failed);
    return hit;
  }
}
