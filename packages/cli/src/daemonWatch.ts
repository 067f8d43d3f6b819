import { readFileSync } from 'node:fs';
import { runningDaemonPid } from '@splitcache/daemon/protocol';

/**
 * How long, in all, a daemon that sends nothing but is seen working is
 * waited for (BUSY_MAX_MS; bin/splitcache counts the same). Silent for
 * SILENCE_MS (protocol.ts), a daemon was taken for hung and killed; on a
 * loaded CI runner (2.6 times slower than usual, tests beside it) one that was
 * only slow was killed under 64 waiting calls, which all built uncached.
 * Working means: its main thread, where its event loop runs, used CPU or read
 * or wrote bytes during the last GRACE_MS, or waits for a CPU (state R). Not
 * the whole process's: a daemon whose event loop is blocked has other threads
 * (node's pool, V8's collector) that may still use CPU or read files. A daemon
 * paused by a signal (T), or one blocked with nothing done (a frozen file
 * system: D, an event loop stuck on a lock: S), is still killed after
 * SILENCE_MS; one busy past BUSY_MAX_MS (a loop that never ends) is killed
 * then.
 */
export const BUSY_MAX_MS = 60_000;

/** The store's daemon's main thread as /proc shows it at one moment. */
export interface DaemonSample {
  pid: number;
  /** The state letter of /proc/<pid>/stat: R, S, D, T, t, Z, … */
  state: string;
  /** Its CPU ticks (user and system), and the bytes it has read and written, so far. */
  work: string;
}

/** The daemon that daemon.pid names, as /proc shows it now; undefined if there is none, or no /proc. */
export function sampleDaemon(dir: string): DaemonSample | undefined {
  const pid = runningDaemonPid(dir);
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
    // After the command's `)`: the state (field 3), …, utime and stime (fields 14 and 15).
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    let bytes = 0;
    try {
      for (const m of readFileSync(`/proc/${pid}/task/${pid}/io`, 'utf8').matchAll(/^[rw]char: (\d+)$/gm)) bytes += Number(m[1]);
    } catch {
      /* not ours to read: ticks alone */
    }
    return { pid, state: f[0] ?? '?', work: `${f[11]} ${f[12]} ${bytes}` };
  } catch {
    return undefined;
  }
}

/** Whether the daemon worked between two samples: the same process, not paused or dead, and waiting for a CPU or with work done. */
export function workedBetween(before: DaemonSample | undefined, after: DaemonSample | undefined): boolean {
  if (!before || !after || before.pid !== after.pid) return false;
  if (/^[TtZXx]$/.test(after.state)) return false;
  return after.state === 'R' || before.work !== after.work;
}

/** What a daemon found silent was doing, in a few words for the line that says it was stopped. */
export function silentWhy(s: DaemonSample | undefined, worked: boolean): string | undefined {
  if (!s) return undefined;
  if (worked) return 'busy all along';
  if (s.state === 'T' || s.state === 't') return 'paused by a signal';
  if (s.state === 'D') return 'blocked on a disk or a file system, doing nothing';
  return `state ${s.state}, doing nothing`;
}
