/**
 * A daemon of an earlier splitcache that serves a deep store at its temp-dir socket (before the
 * socket went in the store dir itself, storeSocket.ts). After an upgrade in place, calls look for
 * the store's socket in the store dir, find none, and start a daemon there, which finds the store
 * locked by the earlier one; left alone, that one kept the store for as long as calls reached it
 * through its exec port, and every call of the node client built uncached meanwhile. It is sent
 * SIGTERM, its stop (as `server stop`'s), and the new daemon waits for the store as for any
 * daemon on its way out (main.ts openWhenFree).
 */
import type { Logger } from './log.js';
import { runningDaemonPid } from './daemonProcess.js';
import { socketAnswers } from './socketAnswers.js';
import { legacySockets, socketPath, socketShown } from './storeSocket.js';

/** Whether a daemon of an earlier splitcache held the store `dir`, and was asked to stop. */
export async function stopLegacyDaemon(dir: string, log: Logger): Promise<boolean> {
  if (!socketPath(dir).startsWith('/proc/self/fd/')) return false; // the store's socket is where it was
  const pid = runningDaemonPid(dir);
  if (pid === undefined || pid === process.pid) return false;
  for (const sock of legacySockets(dir)) {
    if (!(await socketAnswers(sock))) continue;
    log.warn(`the daemon ${pid} of an earlier splitcache serves this store at ${sock}, where calls no longer look; asking it to stop (${socketShown(socketPath(dir))} from now on)`);
    try {
      process.kill(pid, 'SIGTERM');
      return true;
    } catch {
      return false;
    }
  }
  return false;
}
