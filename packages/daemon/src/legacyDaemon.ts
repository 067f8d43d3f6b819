/**
 * A daemon of an earlier splitcache that serves a deep store at its temp-dir socket (before the
 * socket went in the store dir itself, storeSocket.ts). After an upgrade in place, calls look for
 * the store's socket in the store dir, find none, and start a daemon there, which finds the store
 * locked by the earlier one; left alone, that one kept the store for as long as calls reached it
 * through its exec port, and every call of the node client built uncached meanwhile. It is sent
 * SIGTERM, its stop (as `server stop`'s), and the new daemon waits for the store as for any
 * daemon on its way out (main.ts openWhenFree).
 */
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { Logger } from './log.js';
import { runningDaemonPid } from './daemonProcess.js';
import { socketAnswers } from './socketAnswers.js';
import { legacySockets, socketPath, socketShown } from './storeSocket.js';

/** Whether a daemon of an earlier splitcache held the store `dir`, and was asked to stop. */
export async function stopLegacyDaemon(dir: string, log: Logger): Promise<boolean> {
  const own = socketPath(dir);
  if (!own.startsWith('/proc/self/fd/')) return false; // the store's socket is where it was
  // A daemon of this version made the store's socket: one stopping with a call in hand (its socket
  // closed, the store still held) is waited for, never signalled (a review's repro: a second
  // SIGTERM ends a stopping daemon at once, and its call lost it).
  if (lstatSync(own, { throwIfNoEntry: false })?.isSocket()) return false;
  const pid = runningDaemonPid(dir);
  if (pid === undefined || pid === process.pid) return false;
  for (const sock of legacySockets(dir)) {
    // The pid file's daemon itself, listening there: not another process that answers at that path.
    if (!listensAt(pid, sock) || !(await socketAnswers(sock))) continue;
    log.warn(`the daemon ${pid} of an earlier splitcache serves this store at ${sock}, where calls no longer look; asking it to stop (${socketShown(own)} from now on)`);
    try {
      process.kill(pid, 'SIGTERM');
      return true;
    } catch {
      return false;
    }
  }
  return false;
}

/** Whether process `pid` holds the unix socket bound at `sock` (its inode, from /proc/net/unix, among the process's descriptors). */
function listensAt(pid: number, sock: string): boolean {
  let inodes: Set<string>;
  let fds: string[];
  try {
    // Num RefCount Protocol Flags Type St Inode Path: the path is the rest of the line (a TMPDIR may hold a blank).
    inodes = new Set(readFileSync('/proc/net/unix', 'utf8').split('\n').flatMap((l) => {
      const m = /^\S+: (?:\S+ +){5}(\d+) (.*)$/.exec(l);
      return m && m[2] === sock ? [m[1]!] : [];
    }));
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  return fds.some((fd) => {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      return target.startsWith('socket:[') && inodes.has(target.slice('socket:['.length, -1));
    } catch {
      return false;
    }
  });
}
