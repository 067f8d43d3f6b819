/** What a timeout that came due still gives the event loop before it acts. */
const GRACE_MS = 100;
/** How late a timer must fire for its wait to count again from then. */
const LATE_MS = 1000;
/** How many times at most a late timer waits again. */
const AGAIN = 3;

export interface FairTimeout {
  /** Cancels it, grace included: `fn` won't run. */
  clear(): void;
}

/**
 * A timeout on something another process does (a connection's bytes, its
 * end, a child's exit), counted in this daemon's own running. A due timer
 * runs before the sockets are read in the same turn of node's event loop:
 * after a turn held up past the timeout (a daemon starved of CPU on a loaded
 * runner, a paused VM), what the other process did in time is waiting in the
 * kernel, unread, and the timer came first (a connection accepted and then
 * dropped, its opening unread: execServer.ts). So a timeout that comes due gives the loop GRACE_MS to read what waits,
 * then runs `fn`; and one that fired LATE_MS or more late first waits again
 * for as long as it was late (at most `ms`; AGAIN times at most), since the
 * other process may have been held up too. Lateness is read on the monotonic
 * clock that timers run on: a wall clock set forward is no hold-up.
 */
export function fairTimeout(fn: () => void, ms: number): FairTimeout {
  let timer: NodeJS.Timeout | undefined;
  let due = performance.now() + ms;
  let again = AGAIN;
  const expire = () => {
    const late = performance.now() - due;
    if (late >= LATE_MS && again-- > 0) {
      const more = Math.min(ms, late);
      due = performance.now() + more;
      timer = setTimeout(expire, more);
    } else timer = setTimeout(fn, GRACE_MS);
  };
  timer = setTimeout(expire, ms);
  return { clear: () => clearTimeout(timer) };
}

/** A fairTimeout as a promise, settled once it runs, for a race against what it bounds. */
export function fairDelay(ms: number): { elapsed: Promise<void>; clear(): void } {
  let timer: FairTimeout | undefined;
  const elapsed = new Promise<void>((res) => (timer = fairTimeout(res, ms)));
  return { elapsed, clear: () => timer!.clear() };
}
