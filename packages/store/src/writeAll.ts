import { writeSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

// The store's write loops: write(2) may take fewer bytes than it was given, and the rest is
// written again from where it stopped. A write that takes none of them (a file system that says
// so rather than fail, at the edge of its space) would have the loop ask again for ever, with
// the daemon's event loop held (the synchronous one) or the call never answered (the other): it
// is taken for a full disk instead, ENOSPC, which the store reads as SPLITCACHE_STORE_FULL
// (blobDir.ts) and a replay as a destination it can't write, as the remote server does
// (receiveBlob.ts).

/** Writes all of `data` to `fd` from its current offset. */
export function writeAllSync(fd: number, data: Uint8Array): void {
  for (let at = 0; at < data.length; ) {
    const wrote = writeSync(fd, data, at, data.length - at);
    if (wrote === 0) throw tookNone();
    at += wrote;
  }
}

/**
 * Writes all of `data` at `position` (null: where the file's offset is, as a PUT's body is
 * received: remote/src/server/receiveBlob.ts), looping only if the kernel takes less than all.
 */
export async function writeAllAt(fh: FileHandle, data: Uint8Array, position: number | null): Promise<void> {
  for (let done = 0; done < data.length; ) {
    const { bytesWritten } = await fh.write(data, done, data.length - done, position === null ? null : position + done);
    if (bytesWritten === 0) throw tookNone();
    done += bytesWritten;
  }
}

function tookNone(): Error {
  return Object.assign(new Error('ENOSPC: the disk took none of a write (write returned 0 bytes)'), { code: 'ENOSPC' });
}
