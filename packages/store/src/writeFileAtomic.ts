import { closeSync, fchmodSync, fstatSync, openSync, renameSync, rmSync, type BigIntStats } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { writeWhole } from './wholeFile.js';
import { writeAllSync } from './writeAll.js';

/**
 * Writes `data` to `tmp`, then renames it to `dest`: a reader sees the old file
 * or the whole new one, never part of it. On failure the temp file is removed
 * and the file system's error is thrown for the caller to name.
 */
export async function writeFileAtomic(tmp: string, dest: string, data: Uint8Array, mode: number, beforeRename?: () => Promise<unknown>, exactMode = false): Promise<void> {
  try {
    await writeWhole(tmp, data, mode, exactMode);
    await beforeRename?.();
    await rename(tmp, dest);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * The same with synchronous calls, for small files: no thread-pool round trip
 * per step. Returns the written file's stat, taken before the rename (which
 * keeps its inode and mtime): the stamp of exactly these bytes, for a digest
 * memo, whatever happens to `dest` afterwards.
 */
export function writeFileAtomicSync(tmp: string, dest: string, data: Uint8Array, mode: number, exactMode = false): BigIntStats {
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', mode);
    // `mode` as given, not as this process's umask leaves it (a replay's, for its caller's umask).
    if (exactMode) fchmodSync(fd, mode);
    writeAllSync(fd, data);
    const st = fstatSync(fd, { bigint: true });
    // The descriptor is gone once close returns, whether or not it reports an error (NFS tells a
    // quota's EDQUOT there): closed again, it threw EBADF over the real error, and the temp stayed.
    const written = fd;
    fd = undefined;
    closeSync(written);
    renameSync(tmp, dest);
    return st;
  } catch (err) {
    // A close that fails here too (NFS tells a write's quota error again at close) must not hide the first error, nor keep the temp.
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        /* the descriptor is gone whatever close said */
      }
    }
    rmSync(tmp, { force: true });
    throw err;
  }
}

let tempCount = 0;
// process.pid is a getpid() system call on every read.
let pid36: string | undefined;

/**
 * A suffix for a temp file name, unique among the processes writing at once:
 * the pid, a counter and a random part. Not node:crypto, whose load was
 * ~7 ms of every daemon start; the names need to be distinct, not secret.
 */
export function tempSuffix(): string {
  return `${(pid36 ??= process.pid.toString(36))}-${(tempCount++).toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}
