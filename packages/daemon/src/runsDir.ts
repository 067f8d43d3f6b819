/**
 * Where the exec port's runs keep their files (execCall.ts): each run's
 * arguments, and the output of runs the daemon reads afterwards. They live a
 * few milliseconds, so they go to a tmpfs when there is one, `/dev/shm`, in a
 * directory of this daemon's own (`splitcache-<uid>-<pid namespace>-<pid>`,
 * mode 0700): not on the store's disk, which may be full (the store then stops
 * storing, and hits must still link) or slow (a home directory over NFS).
 * Without a usable /dev/shm they go to `runs/` in the store dir. Directories
 * left by daemons that died are removed when the next one opens its own.
 *
 * The pid namespace is in the name because /dev/shm can be shared by processes
 * that don't see each other's pids: containers of one Kubernetes pod, a
 * `docker run --ipc=host` (the usual way round Docker's 64 MB /dev/shm) beside
 * the host or another such container. Named by uid and pid alone, a daemon took
 * another namespace's live daemon for dead (its pid isn't there to signal) and
 * removed its directory, after which every call that daemon carried built
 * uncached with a SPLITCACHE_EXEC_RUN line; and two daemons of the same pid in
 * two containers (the same script started the same way) shared one directory,
 * each numbering its runs from 1, each removing the other's files, and one's
 * caller could run rustc with the other's arguments. A daemon now removes the
 * directories of gone daemons of its own namespace, and those of other
 * namespaces only once untouched for a day (a container's daemon is killed with
 * its container, and leaves its directory behind); a daemon whose directory was
 * removed anyway (an idle one, a `rm -rf /dev/shm/*`) makes it again at its
 * next run (execCall.ts).
 */
import { lstatSync, mkdirSync, readdirSync, readlinkSync, rmSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { processAlive } from './processAlive.js';

const SHM = '/dev/shm';

/** Makes this daemon's runs directory, empty, and returns it. */
export function openRunsDir(storeDir: string): string {
  const uid = process.getuid?.();
  const ns = pidNamespace();
  if (uid !== undefined && ns !== undefined) {
    const prefix = `splitcache-${uid}-${ns}-`;
    try {
      for (const name of readdirSync(SHM)) {
        const pid = name.startsWith(prefix) ? Number(name.slice(prefix.length)) : NaN;
        if (Number.isInteger(pid) && pid > 0 && (pid === process.pid || !processAlive(pid))) rmSync(join(SHM, name), { recursive: true, force: true });
        else if (name.startsWith(`splitcache-${uid}-`) && !name.startsWith(prefix) && untouchedFor(join(SHM, name), STALE_MS)) rmSync(join(SHM, name), { recursive: true, force: true });
      }
      // Full already (what the clean-up above freed counted): its first run would move the runs to the store dir, with a line.
      const dir = join(SHM, `${prefix}${process.pid}`);
      if (!nearlyFull(SHM, START_MIN_FREE) && makeOwnDir(dir)) return dir;
    } catch {
      /* no usable /dev/shm: the store dir */
    }
  }
  return storeRunsDir(storeDir);
}

/** `runs/` in the store dir, made empty (mode 0700): the runs dir without a usable /dev/shm, or once it is full (runsHome.ts). */
export function storeRunsDir(storeDir: string): string {
  const dir = join(storeDir, 'runs');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { mode: 0o700 });
  return dir;
}

/** Whether `dir` is a runs dir on /dev/shm (not the store's). */
export function onShm(dir: string): boolean {
  return dir.startsWith(`${SHM}/`);
}

/**
 * Whether the file system of `dir` has less than `low` free (LOW_SPACE unless given). rustc that gets ENOSPC
 * writing its output there found less than a page; by the time it has exited, what filled it
 * may have freed some, so the bound is generous: taken for full wrongly, a failed run only
 * runs once more, plainly (runFiles.ts).
 */
export function nearlyFull(dir: string, low = LOW_SPACE): boolean {
  try {
    const fs = statfsSync(dir);
    return fs.bavail * fs.bsize < low;
  } catch {
    return false;
  }
}
const LOW_SPACE = 1024 * 1024;
/** Less free than this on /dev/shm when a daemon starts, and its runs go to the store dir from the start: a run's arguments are a few KiB. */
const START_MIN_FREE = 64 * 1024;

/** How long another namespace's runs dir must be untouched (no run begun or ended in it) before it is taken for left behind. */
const STALE_MS = 24 * 3600_000;

/**
 * Makes `dir` (not its parents) as this user's private directory; false when what is there
 * then is anything else. Made just now, by this call: still, nothing but this user's own
 * private directory is used.
 */
function makeOwnDir(dir: string): boolean {
  mkdirSync(dir, { mode: 0o700 });
  const st = lstatSync(dir);
  return st.isDirectory() && st.uid === process.getuid?.() && (st.mode & 0o077) === 0;
}

/** Makes this daemon's runs dir again, once removed from under it; false if that can't be done. */
export function remakeRunsDir(dir: string): boolean {
  try {
    return makeOwnDir(dir);
  } catch {
    return false;
  }
}

function untouchedFor(path: string, ms: number): boolean {
  try {
    return Date.now() - lstatSync(path).mtimeMs > ms;
  } catch {
    return false;
  }
}

/** Removes the runs directory when it is this daemon's own on the tmpfs (the store's `runs/` stays, emptied at the next start). */
export function closeRunsDir(dir: string): void {
  if (onShm(dir)) rmSync(dir, { recursive: true, force: true });
}

/** The inode number of this process's pid namespace (`pid:[4026531836]`); undefined without /proc. */
function pidNamespace(): string | undefined {
  try {
    return /^pid:\[(\d+)\]$/.exec(readlinkSync('/proc/self/ns/pid'))?.[1];
  } catch {
    return undefined;
  }
}
