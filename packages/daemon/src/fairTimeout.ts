/** What a timeout that came due still gives the event loop before it acts. */
const GRACE_MS = 100;
/** How late a timer must fire for its wait to count again from then. */
const LATE_MS = 1000;
/** How many times at most. */
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
 * kernel, unread, and the timer came first. A CI run lost a tee run's stderr
 * connection so (execServer.ts), and another the end of one (execCall.ts).
 * So a timeout that comes due gives the loop GRACE_MS to read what waits,
 * then runs `fn`; and one that fired LATE_MS or more late counts `ms` again
 * from then (AGAIN times at most), since the other process may have been held
 * up too. A timeout with `unref` doesn't keep the process alive.
 */
export function fairTimeout(fn: () => void, ms: number, opts: { unref?: boolean } = {}): FairTimeout {
  let timer: NodeJS.Timeout | undefined;
  let due = Date.now() + ms;
  let again = AGAIN;
  const arm = (f: () => void, after: number) => {
    timer = setTimeout(f, after);
    if (opts.unref) timer.unref();
  };
  const expire = () => {
    if (Date.now() - due >= LATE_MS && again-- > 0) {
      due = Date.now() + ms;
      arm(expire, ms);
    } else arm(fn, GRACE_MS);
  };
  arm(expire, ms);
  return { clear: () => clearTimeout(timer) };
}
