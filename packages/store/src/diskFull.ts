import { statfsSync } from 'node:fs';

/** An error as the cause chain is walked: `code` may be anything (a child process gives a number). */
export type Chained = { code?: unknown; message?: string; cause?: unknown };

/** Whether `test` holds for `err` or an error in its cause chain (LevelDB wraps the system's error as an IO error's text). */
export function inChain(err: unknown, test: (e: Chained) => boolean): boolean {
  for (let e = err as Chained | undefined, depth = 0; e && depth < 5; e = e.cause as Chained | undefined, depth++) {
    if (test(e)) return true;
  }
  return false;
}

/**
 * ` (no inodes left on its disk: df -i)` when the file system of `dir` has run out of inodes
 * rather than bytes: both fail a write with ENOSPC, and a disk with room to spare was said to
 * be full, which `df -h` denied (a hunting helper's store on an image made with few inodes).
 * Empty otherwise, and where the file system counts no inodes (btrfs reports none).
 */
export function inodesHint(dir: string): string {
  try {
    const fs = statfsSync(dir);
    return fs.files > 0 && fs.ffree < INODES_LOW ? ' (no inodes left on its disk: df -i)' : '';
  } catch {
    return '';
  }
}

/** Fewer free inodes than this after an ENOSPC: out of inodes (the writes racing it may have freed a few). */
const INODES_LOW = 16;

/** ENOSPC or EDQUOT anywhere in an error's cause chain. */
export function isDiskFull(err: unknown): boolean {
  return inChain(err, (e) => e.code === 'ENOSPC' || e.code === 'EDQUOT' || /No space left on device|Disk quota exceeded/i.test(String(e.message ?? '')));
}

/**
 * Whether `err` (or an error it was caused by) is the file system refusing this process: a
 * store that belongs to another user, or sits on a read-only file system.
 */
export function isAccessDenied(err: unknown): boolean {
  return isReadOnly(err) || inChain(err, (e) => e.code === 'EACCES' || e.code === 'EPERM' || /Permission denied|Operation not permitted/i.test(String(e.message ?? '')));
}

/** EROFS anywhere in an error's cause chain. */
export function isReadOnly(err: unknown): boolean {
  return inChain(err, (e) => e.code === 'EROFS' || /Read-only file system/i.test(String(e.message ?? '')));
}
