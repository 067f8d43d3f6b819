import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { FaultLines } from './faultLines.js';
import type { Logger } from './log.js';
import type { StatsKeeper } from './stats.js';
import { fairTimeout } from './fairTimeout.js';

/** How long a wait on background writes may take before the store's file system is asked whether it still writes. */
const SUSPECT_MS = 5_000;
/** How long that write may take. */
const PROBE_MS = 3_000;

/**
 * Whether the store's file system still takes writes, asked when a wait on
 * the daemon's background writes (the stores in flight, the audit log: what
 * `stats`, `audit`, the build's summary and `server stop` wait for) has taken
 * SUSPECT_MS.
 *
 * A file system that hangs (one frozen for a snapshot, `fsfreeze`; an NFS hard
 * mount whose server went away) blocks the daemon's writes in node's thread
 * pool, while its event loop runs on and tells each caller it is alive: the
 * build's summary, and `splitcache stats`, waited the whole hang (a helper's
 * finding: a build of hits took 150 s for a 150 s freeze, where plain cargo
 * took 0.5 s), and said nothing. The question is a write made by a child
 * process (`touch -c` of the index's LOCK file), which blocks in that process,
 * not in the daemon. One that has not ended within PROBE_MS makes the store
 * taken for hung: the waits end at once (and do from then on), and every call
 * that comes builds uncached, with one line, until a write goes through again
 * (asked at most every SUSPECT_MS). The daemon's log is held in memory
 * meanwhile: it is in the store dir, and a line written there would block the
 * whole daemon. A call's own plan is not cut short: given up, it would go on
 * and, the file system back, write a hit's outputs over what the build wrote
 * since, and leave its key's other calls waiting on a compile nobody runs.
 */
export class StoreStall {
  private hungSince: number | undefined;
  private lastProbe = 0;
  private probing: Promise<boolean> | undefined;
  /** Each wait's way to end now. */
  private readonly waiting = new Set<() => void>();

  constructor(
    private readonly dir: string,
    private readonly log: Logger,
    /** The command that writes: `touch`, unless a test names another. */
    private readonly toucher = 'touch',
  ) {}

  /** Whether the store is taken for hung; while it is, asks again (in the background) whether it writes, at most every SUSPECT_MS. */
  get hung(): boolean {
    if (this.hungSince !== undefined && Date.now() - this.lastProbe >= SUSPECT_MS) void this.check();
    return this.hungSince !== undefined;
  }

  /** The wait's end, or `instead()`'s, if the store is taken for hung before it ends (at once, if it is already). */
  guard<T>(plan: Promise<T>, instead: () => T): Promise<T> {
    if (this.hung) return Promise.resolve(instead());
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const end = () => {
        if (timer) clearTimeout(timer);
        this.waiting.delete(give);
      };
      const give = () => {
        end();
        resolve(instead());
      };
      const suspect = () => {
        timer = setTimeout(() => {
          void this.check().then((writes) => {
            if (writes && this.waiting.has(give)) suspect();
          });
        }, SUSPECT_MS);
        timer.unref();
      };
      this.waiting.add(give);
      suspect();
      plan.then(
        (v) => {
          end();
          resolve(v);
        },
        (err: unknown) => {
          end();
          reject(err);
        },
      );
    });
  }

  /** Whether a write to the store went through within PROBE_MS; one question at a time. */
  private check(): Promise<boolean> {
    this.probing ??= this.probe().then((writes) => {
      this.probing = undefined;
      this.lastProbe = Date.now();
      if (writes && this.hungSince !== undefined) {
        this.log.release();
        this.log.warn(`the store's file system takes writes again, after ${Math.round((Date.now() - this.hungSince) / 1000)} s`);
        this.hungSince = undefined;
      } else if (!writes) {
        // The log is in the store dir: a line written there now would block the whole daemon.
        if (this.hungSince === undefined) {
          this.log.hold();
          this.log.warn(`SPLITCACHE_STORE_HUNG: a write to ${this.dir} did not end within ${PROBE_MS / 1000} s`);
        }
        this.hungSince ??= Date.now();
        for (const give of [...this.waiting]) give();
      }
      return writes;
    });
    return this.probing;
  }

  private probe(): Promise<boolean> {
    return new Promise((resolve) => {
      let settled = false;
      const settle = (writes: boolean) => {
        if (settled) return;
        settled = true;
        timer.clear();
        resolve(writes);
      };
      // A child that can't start (no touch on PATH) tells nothing: taken as a store that writes.
      const child = spawn(this.toucher, ['-c', join(this.dir, 'index', 'LOCK')], { stdio: 'ignore' });
      child.on('error', () => settle(true));
      child.on('exit', () => settle(true));
      // Blocked in the kernel, it may not die until the file system comes back: it is left to end then.
      // Counted in the daemon's own running (fairTimeout.ts): an exit that came in time, unread while
      // the loop was held up, must not make the store taken for hung.
      const timer = fairTimeout(() => {
        child.kill('SIGKILL');
        child.unref();
        settle(false);
      }, PROBE_MS);
    });
  }
}

/** The line for a call built uncached while the store is taken for hung: at most one a minute. */
export function hungStoreLine(dir: string, stats: StatsKeeper, faults: FaultLines): string | undefined {
  stats.count('errors', 'SPLITCACHE_STORE_HUNG');
  const line = `splitcache: SPLITCACHE_STORE_HUNG: the file system of the store ${dir} takes no writes (a write did not end within ${PROBE_MS / 1000} s: frozen, or a network mount whose server is gone); building uncached until it does`;
  return faults.dueToShow('SPLITCACHE_STORE_HUNG') ? line : undefined;
}
