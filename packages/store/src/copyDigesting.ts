import { open, type FileHandle } from 'node:fs/promises';
import { DigestStream, type Digest } from '@splitcache/hash';
import { writeAllAt } from './wholeFile.js';

/**
 * Copies an open file, from its start, into a new file `dest` (created with
 * `wx` and `mode`) through `buf`, digesting the bytes on the way. Used for a
 * large file in either direction: an output into the blob dir, a blob out to
 * where rustc would have written it. The caller lends `buf` from hash's
 * withChunk and opens `src` only once it holds it, so no more files are open
 * at once than there are buffers. On failure `dest` may be left partly
 * written; the caller removes it.
 */
export async function copyDigesting(src: FileHandle, dest: string, mode: number, buf: Buffer): Promise<{ digest: Digest; size: number }> {
  const out = await open(dest, 'wx', mode);
  try {
    const stream = new DigestStream();
    let size = 0;
    for (;;) {
      const { bytesRead } = await src.read(buf, 0, buf.length, size);
      if (bytesRead === 0) break;
      const part = buf.subarray(0, bytesRead);
      stream.update(part);
      await writeAllAt(out, part, size);
      size += bytesRead;
    }
    return { digest: stream.digest(), size };
  } finally {
    await out.close();
  }
}
