import { statSync } from 'node:fs';

/** Whether `path` is a regular file (symlinks followed); false for anything that can't be stat'ed (ENOENT, ENOTDIR, EACCES). */
export function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
