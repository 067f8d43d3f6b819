import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The pid in a store's daemon.pid, if it names a running splitcache daemon:
 * a stale pid file may name an unrelated process by now, and an empty one
 * reads as 0, which process.kill takes for the caller's whole process group.
 */
export function runningDaemonPid(dir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(dir, 'daemon.pid'), 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 1) return undefined;
    return /daemon[/\\].*main\.[cm]?js/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8')) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Sends `signal` to the store's daemon, if runningDaemonPid finds one; whether the signal went. */
export function signalDaemon(dir: string, signal: NodeJS.Signals): boolean {
  const pid = runningDaemonPid(dir);
  if (pid === undefined) return false;
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Stops a daemon that has sent nothing for SILENCE_MS while a request waited
 * (protocol.ts): stopped, or its event loop blocked, it would hold up every
 * call of every build. SIGKILL, since such a daemon handles no SIGTERM; the
 * store is safe against a kill at any point (docs/RELIABILITY.md), and the
 * next call starts another daemon.
 */
export function stopHungDaemon(dir: string): void {
  signalDaemon(dir, 'SIGKILL');
}
