import { open, type FileHandle } from 'node:fs/promises';
import { IO_CHUNK, withChunk } from '@splitcache/hash';
import { writeAllAt } from './writeAll.js';

// Whole-file reads and writes, for files too large to block the daemon's event
// loop on. A read is one thread-pool call: `fs/promises`' own readFile moves
// 512 KiB per call, so a 24 MiB rlib was about fifty round trips through
// libuv's worker threads, each a pair of wake-ups that, on two cores busy with
// a build, waits for a core. A large write is staged (writeWhole, below).

/**
 * Reads a file whose size is known (or taken from fstat): at most that many bytes, so a
 * blob that grew is not noticed here; blob reads verify the bytes against their digest.
 */
export async function readWhole(path: string, size?: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    return await readOpened(fh, size ?? (await fh.stat()).size);
  } finally {
    await fh.close();
  }
}

/** At most `want` bytes of an open file from its start, fewer where it ends first. */
export async function readOpened(fh: FileHandle, want: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(want);
  let filled = 0;
  while (filled < want) {
    const { bytesRead } = await fh.read(buf, filled, want - filled, filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled === want ? buf : buf.subarray(0, filled);
}

/**
 * Writes all of `data` to a new file (`wx`). Data larger than one of hash's
 * pooled buffers is staged through one, a piece at a time, rather than handed
 * to the kernel whole: the kernel's copy out of a large buffer the process
 * just filled was the slow part here. A fetched 24 MB blob took 150-300 ms
 * written whole and 11-21 ms staged (a fresh buffer each time, 5 rounds); in
 * a remote-only tokio build, 137-273 ms for each of its large blobs.
 */
export async function writeWhole(path: string, data: Uint8Array, mode: number, exactMode = false): Promise<void> {
  const fh = await open(path, 'wx', mode);
  try {
    // `mode` as given, not as this process's umask leaves it (a replay's, for its caller's umask).
    if (exactMode) await fh.chmod(mode);
    if (data.length <= IO_CHUNK) await writeAllAt(fh, data, 0);
    else {
      await withChunk(async (buf) => {
        for (let at = 0; at < data.length; at += buf.length) {
          const piece = data.subarray(at, at + buf.length);
          buf.set(piece);
          await writeAllAt(fh, buf.subarray(0, piece.length), at);
        }
      });
    }
  } finally {
    await fh.close();
  }
}
