import { fairDelay } from './fairTimeout.js';

/**
 * How long a call waits for another's compile of its key before it compiles
 * itself: a compile that ends, or a client that goes, ends the wait at once; this bounds one
 * that does neither (a build stopped with Ctrl-Z).
 */
export const IN_FLIGHT_WAIT_MS = 10 * 60_000;

/**
 * Misses being compiled now, by manifest key: a second call of a key that
 * another call is compiling waits for that compile, then looks up again.
 *
 * Two builds of one commit on one store at once (CI jobs sharing a runner's
 * cache dir, a checkout built in two target dirs) reach the same crates at
 * about the same time. Each missed and compiled every one of them: two cold
 * grep builds side by side compiled 125 crates between them for 72 keys. Now
 * the later call waits, and hits on what the first stored; the first call's
 * compile was under way already, so the wait is shorter than a compile of its own.
 *
 * A manifest key covers the arguments, the environment, the root source file
 * and every `--extern` file, not the crate's other sources (lookup.ts checks
 * those), so a call may wait and still miss: the same crate at another
 * commit, whose root file is the same but not its modules. It then compiles,
 * having lost at most the rest of the other's compile. The wait is also capped.
 */
export class MissesInFlight {
  private readonly compiling = new Map<string, { token: string; ended: Promise<void>; end: () => void }>();

  /** `token`'s call compiles `key` now. Another's compile of it already under way stays the one waited on. */
  begin(key: string, token: string): void {
    if (this.compiling.has(key)) return;
    let end!: () => void;
    const ended = new Promise<void>((r) => (end = r));
    this.compiling.set(key, { token, ended, end });
  }

  /** `token`'s call has ended, stored or not (reported, or its client gone): the calls waiting on its key look up again. */
  end(key: string, token: string): void {
    const c = this.compiling.get(key);
    if (c?.token !== token) return;
    this.compiling.delete(key);
    c.end();
  }

  /**
   * The compile of `key` under way, as a wait of at most `capMs` for it to end, or
   * undefined if none is (synchronous: a caller that finds none and calls begin()
   * before its next await can't be overtaken by another call of the same key).
   */
  waitFor(key: string, capMs: number): Promise<void> | undefined {
    const c = this.compiling.get(key);
    if (!c) return undefined;
    // In the daemon's own running (fairTimeout.ts): that compile's end may wait in the kernel, unread.
    const cap = fairDelay(capMs);
    return Promise.race([c.ended, cap.elapsed]).finally(() => cap.clear());
  }

  get size(): number {
    return this.compiling.size;
  }
}
