/** ENOSPC or EDQUOT anywhere in an error's cause chain (LevelDB reports it as an IO error's text). */
export function isDiskFull(err: unknown): boolean {
  for (let e = err as { code?: string; message?: string; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (e.code === 'ENOSPC' || e.code === 'EDQUOT' || /No space left on device|Disk quota exceeded/i.test(String(e.message ?? ''))) return true;
  }
  return false;
}
