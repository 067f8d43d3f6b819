import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { readOpened } from './wholeFile.js';

/**
 * A blob file opened without blocking: a FIFO another program left under a blob's name opens
 * at once (and reads as empty), where a plain open waits for a writer that never comes. Before,
 * a hit of such a blob held the daemon until the client's watchdog killed it (every build ~10 s
 * late, two lines), and `audit verify` and the `gc` behind it waited for ever.
 */
const NON_BLOCKING = constants.O_RDONLY | constants.O_NONBLOCK;

/** What is under a blob's name where it is not a regular file (a FIFO, a directory, a link to a device). */
export class NotABlobFile extends Error {
  constructor(readonly path: string, readonly kind: string) {
    super(`${path} is ${kind}, not a file`);
  }
}

function kindOf(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Reads a blob file whole, synchronously (open, fstat, read, close: what readFileSync does).
 * Anything but a regular file throws NotABlobFile: a symlink to /dev/zero read without end.
 */
export function readBlobFileSync(path: string): Buffer {
  const fd = openSync(path, NON_BLOCKING);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new NotABlobFile(path, kindOf(st));
    const buf = Buffer.allocUnsafe(st.size);
    let filled = 0;
    while (filled < st.size) {
      const n = readSync(fd, buf, filled, st.size - filled, filled);
      if (n === 0) break;
      filled += n;
    }
    return filled === st.size ? buf : buf.subarray(0, filled);
  } finally {
    closeSync(fd);
  }
}

/**
 * Opens a blob file without blocking, and checks it is a regular file (NotABlobFile otherwise, the
 * handle closed): the handle and its stats. Also `splitcache serve`'s GET and HEAD (remote's openStoredBlob.ts).
 */
export async function openBlobFile(path: string): Promise<{ fh: FileHandle; st: Stats }> {
  const fh = await open(path, NON_BLOCKING);
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new NotABlobFile(path, kindOf(st));
    return { fh, st };
  } catch (err) {
    await fh.close();
    throw err;
  }
}

/** Reads a blob file in one thread-pool call per read (wholeFile.ts' readWhole), as readBlobFileSync checks it. */
export async function readBlobFile(path: string, size?: number): Promise<Buffer> {
  const { fh, st } = await openBlobFile(path);
  try {
    return await readOpened(fh, size ?? st.size);
  } finally {
    await fh.close();
  }
}
