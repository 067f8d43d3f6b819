/** ENOSPC or EDQUOT anywhere in an error's cause chain (LevelDB reports it as an IO error's text). */
export function isDiskFull(err: unknown): boolean {
  for (let e = err as { code?: string; message?: string; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (e.code === 'ENOSPC' || e.code === 'EDQUOT' || /No space left on device|Disk quota exceeded/i.test(String(e.message ?? ''))) return true;
  }
  return false;
}

/**
 * Whether `err` (or an error it was caused by) is the file system refusing this process: a
 * store that belongs to another user, or sits on a read-only file system. LevelDB reports it
 * as an IO error whose message ends in the system's words.
 */
export function isAccessDenied(err: unknown): boolean {
  for (let e = err as { code?: string; message?: string; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'EROFS' || /Permission denied|Read-only file system|Operation not permitted/i.test(String(e.message ?? ''))) return true;
  }
  return false;
}
