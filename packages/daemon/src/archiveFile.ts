import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import type { ReadAt } from '@splitcache/rustc';

/**
 * `read` applied to the file at `path`, read where it asks (an ar archive's headers, as
 * `archiveMembers` walks them) and closed after; undefined where the file can't be opened
 * or read, or `read` throws (an archive malformed).
 */
export function readArchiveFile<T>(path: string, read: (readAt: ReadAt, size: number) => T): T | undefined {
  let fd: number | undefined;
  try {
    // Without blocking, and a regular file only: a FIFO under a library's name held the daemon's thread at its open.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    if (!fstatSync(fd).isFile()) return undefined;
    const at = fd;
    const readAt: ReadAt = (position, length) => {
      const buf = Buffer.alloc(length);
      return buf.subarray(0, readSync(at, buf, 0, length, position));
    };
    return read(readAt, fstatSync(at).size);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
