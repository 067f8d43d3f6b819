/**
 * The spawn lock, `daemon.starting` in the store dir: who holds it starts the daemon
 * (daemonStart.ts). Made exclusively; judged stale on its file system's own clock; taken over by
 * moving it aside; given the pid of the daemon its maker spawned, only while it is still that
 * maker's.
 */
import { closeSync, fstatSync, linkSync, openSync, renameSync, rmSync, statSync, unlinkSync, writeSync, type Stats } from 'node:fs';

/** How long a spawn lock that names a pid is honoured. */
const LOCK_STALE_MS = 10_000;
/**
 * How long a spawn lock with no pid in it is honoured. A starter writes one as it starts the
 * daemon (bin/splitcache's from the daemon's own process, after a fork and an exec; the node
 * client's after its spawn): milliseconds after it made the lock, ~0.1 s on a loaded machine.
 * One empty past this is a starter's that was killed between the two, and a build's calls
 * waited out LOCK_STALE_MS on it, building uncached. A live start taken over so starts a second
 * daemon, which finds the store's index locked by the first and exits: a node start's CPU.
 */
const EMPTY_LOCK_STALE_MS = 2000;

/** Makes the spawn lock `lock` and returns it as made; undefined if another starter holds one that is not yet stale (a `takeOver` takes it anyway). */
export function takeSpawnLock(lock: string, dir: string, takeOver: boolean): Stats | undefined {
  try {
    return makeLock(lock);
  } catch (err) {
    unwritableStore(dir, err);
    try {
      const st = statSync(lock);
      if (!takeOver && lockAgeMs(lock, st) < (st.size === 0 ? EMPTY_LOCK_STALE_MS : LOCK_STALE_MS)) return undefined; // someone else is starting it
      return takeStaleLock(lock, st);
    } catch {
      return undefined;
    }
  }
}

/**
 * How long ago the lock `st` was made or last written, on the clock that dated it: its file
 * system's (a network file system's server, a VM host's bind mount), which may run seconds apart
 * from this process's. Where this process's clock says stale (or the lock is dated over a second ahead
 * of it), the file system's own "now" is read, as the ctime of a file made beside the lock. Read
 * on this process's clock, a store dir 3 s behind it made a lock just made by a live starter look
 * 3 s old, stale for an empty one (EMPTY_LOCK_STALE_MS), and the calls of a build's burst took
 * it over one after another, each starting a daemon; one an hour ahead of it kept a lock left by
 * a killed starter from going stale for an hour, and every call meanwhile built uncached.
 */
function lockAgeMs(lock: string, st: Stats): number {
  const age = Date.now() - st.mtimeMs;
  if (age > -1000 && age < EMPTY_LOCK_STALE_MS) return age;
  const probe = `${lock}.now-${process.pid}`;
  try {
    rmSync(probe, { force: true });
    const fd = openSync(probe, 'wx', 0o600);
    try {
      return fstatSync(fd).ctimeMs - st.mtimeMs;
    } finally {
      closeSync(fd);
      rmSync(probe, { force: true });
    }
  } catch {
    return age;
  }
}

/**
 * Takes over the lock `lock` judged stale as `st` showed it: moves it aside to a name of this
 * process's, and makes it again only if what it moved was that lock (inode and mtime). Removed
 * and made again by path, the lock that another call waiting on it had just taken over and made
 * again was removed too, and both started a daemon (3-32 rounds in 300 of two takers at an instant:
 * spawnLockTakeover.test). Another's lock moved aside is put back, unless one was made meanwhile.
 */
function takeStaleLock(lock: string, st: Stats): Stats | undefined {
  const aside = `${lock}.taken-${process.pid}`;
  renameSync(lock, aside); // ENOENT: another call took it first
  const moved = statSync(aside);
  const same = moved.ino === st.ino && moved.mtimeMs === st.mtimeMs;
  if (!same) {
    try {
      linkSync(aside, lock);
    } catch {
      /* a lock made meanwhile stands */
    }
  }
  unlinkSync(aside);
  return same ? makeLock(lock) : undefined;
}

/** Makes the lock `lock` exclusively, empty; what it is, to know it again (writeLockPid). */
function makeLock(lock: string): Stats {
  const fd = openSync(lock, 'wx');
  try {
    return fstatSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes `pid` into the spawn lock `lock` if it is still the one this call made (`made`: inode
 * and mtime, as it was made), never into another's: a starter held up past EMPTY_LOCK_STALE_MS
 * between making its lock and writing its daemon's pid (preempted on a loaded machine) had had
 * its lock taken over, and wrote its pid over the digits of the taker's, with no truncation: a
 * pid of no process, so every call waiting took the start for dead (trampolineStartDied) and
 * started a daemon of its own. Gone already is no fault: the daemon listens, and removed it.
 */
export function writeLockPid(lock: string, made: Stats, pid: number): void {
  try {
    const fd = openSync(lock, 'r+');
    try {
      const st = fstatSync(fd);
      if (st.ino === made.ino && st.mtimeMs === made.mtimeMs) writeSync(fd, String(pid));
    } finally {
      closeSync(fd);
    }
  } catch {
    /* gone already: the daemon listens */
  }
}

/**
 * Throws SPLITCACHE_DAEMON_UNREACHABLE, naming the reason, when the spawn lock
 * could not be made for a reason other than another starter's lock: a store
 * dir on a read-only file system, or one that belongs to another user (whose
 * daemon's socket this user can't open either). No daemon could work there for
 * this caller, so the call builds uncached at once; it waited out the start
 * timeout (5 s a call) before. Each caller finds out for itself, in a failed
 * open: no note is left, since the reason is this caller's and another user's
 * calls must not read it.
 */
function unwritableStore(dir: string, err: unknown): void {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EEXIST') return;
  const why = code === 'EROFS' ? 'is on a read-only file system' : code === 'EACCES' || code === 'EPERM' ? 'is not writable by this user' : `cannot be written (${code ?? 'error'})`;
  throw Object.assign(new Error(`the store dir ${dir} ${why}`), { code: 'SPLITCACHE_DAEMON_UNREACHABLE' });
}
