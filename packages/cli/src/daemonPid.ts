import { runningDaemonPid } from '@splitcache/daemon/protocol';

export { runningDaemonPid };

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
