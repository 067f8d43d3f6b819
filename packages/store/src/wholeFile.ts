import { open, type FileHandle } from 'node:fs/promises';

// Whole-file reads and writes in one thread-pool call each, for files too large
// to block the daemon's event loop on. `fs/promises`' own readFile and
// writeFile move 512 KiB per call, so a 24 MiB rlib was about fifty round
// trips through libuv's worker threads, each a pair of wake-ups that, on two
// cores busy with a build, waits for a core.

/**
 * Reads a file whose size is known (or taken from fstat): at most that many bytes, so a
 * blob that grew is not noticed here; blob reads verify the bytes against their digest.
 */
export async function readWhole(path: string, size?: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const want = size ?? (await fh.stat()).size;
    const buf = Buffer.allocUnsafe(want);
    let filled = 0;
    while (filled < want) {
      const { bytesRead } = await fh.read(buf, filled, want - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return filled === want ? buf : buf.subarray(0, filled);
  } finally {
    await fh.close();
  }
}

/** Writes all of `data` to a new file (`wx`), looping only if the kernel takes less than all. */
export async function writeWhole(path: string, data: Uint8Array, mode: number): Promise<void> {
  const fh = await open(path, 'wx', mode);
  try {
    await writeAllAt(fh, data, 0);
  } finally {
    await fh.close();
  }
}

/** Writes all of `data` at `position`, looping only if the kernel takes less than all. */
async function writeAllAt(fh: FileHandle, data: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < data.length; ) {
    const { bytesWritten } = await fh.write(data, done, data.length - done, position + done);
    done += bytesWritten;
  }
}
