/** An error as the cause chain is walked: `code` may be anything (a child process gives a number). */
export type Chained = { code?: unknown; message?: string; cause?: unknown };

/** Whether `test` holds for `err` or an error in its cause chain (LevelDB wraps the system's error as an IO error's text). */
export function inChain(err: unknown, test: (e: Chained) => boolean): boolean {
  for (let e = err as Chained | undefined, depth = 0; e && depth < 5; e = e.cause as Chained | undefined, depth++) {
    if (test(e)) return true;
  }
  return false;
}

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
