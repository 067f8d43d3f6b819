import { statSync, type BigIntStats, type Stats } from 'node:fs';

/**
 * What is at `path` (symlinks followed), or undefined for anything that can't be stat'ed
 * (ENOENT, ENOTDIR, EACCES): what rustc's own existence checks see. No exception is made for
 * ENOENT, the usual answer where a file's absence is what is being checked (a crate's hits ask
 * once for each of its `.rs` files, absentInputs.ts).
 */
export function statOf(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

/** Whether `path` is a regular file (symlinks followed); false for anything that can't be stat'ed (ENOENT, ENOTDIR, EACCES). */
export function isFile(path: string): boolean {
  return statOf(path)?.isFile() ?? false;
}

/** As statOf, with exact numbers (inodes above 2^53: overlayfs's xino, NFS file ids). */
export function bigStatOf(path: string): BigIntStats | undefined {
  try {
    return statSync(path, { bigint: true, throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}
