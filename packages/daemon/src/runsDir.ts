/**
 * Where the exec port's runs keep their files (execCall.ts): each run's
 * arguments, and the output of runs the daemon reads afterwards. They live a
 * few milliseconds, so they go to a tmpfs when there is one, `/dev/shm`, in a
 * directory of this daemon's own (`splitcache-<uid>-<pid>`, mode 0700): not
 * on the store's disk, which may be full (the store then stops storing, and
 * hits must still link) or slow (a home directory over NFS). Without a usable
 * /dev/shm they go to `runs/` in the store dir. Directories left by daemons
 * that died are removed when the next one opens its own.
 */
import { lstatSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const SHM = '/dev/shm';

/** Makes this daemon's runs directory, empty, and returns it. */
export function openRunsDir(storeDir: string): string {
  const uid = process.getuid?.();
  if (uid !== undefined) {
    const prefix = `splitcache-${uid}-`;
    try {
      for (const name of readdirSync(SHM)) {
        const pid = name.startsWith(prefix) ? Number(name.slice(prefix.length)) : NaN;
        if (Number.isInteger(pid) && pid > 0 && (pid === process.pid || !alive(pid))) rmSync(join(SHM, name), { recursive: true, force: true });
      }
      const dir = join(SHM, `${prefix}${process.pid}`);
      mkdirSync(dir, { mode: 0o700 });
      // Made just now, by this call: still, nothing but this user's own private directory is used.
      const st = lstatSync(dir);
      if (st.isDirectory() && st.uid === uid && (st.mode & 0o077) === 0) return dir;
    } catch {
      /* no usable /dev/shm: the store dir */
    }
  }
  const dir = join(storeDir, 'runs');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { mode: 0o700 });
  return dir;
}

/** Removes the runs directory when it is this daemon's own on the tmpfs (the store's `runs/` stays, emptied at the next start). */
export function closeRunsDir(dir: string): void {
  if (dir.startsWith(`${SHM}/`)) rmSync(dir, { recursive: true, force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
