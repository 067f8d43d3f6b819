import { constants } from 'node:fs';
import { copyFile, open } from 'node:fs/promises';
import { digestHandle, withChunk, type Digest } from '@splitcache/hash';

/**
 * Copies `src` to a new file `dest` (which must not exist) inside the kernel,
 * then reads the copy back and digests it: the digest is that of the very
 * bytes at `dest`. Used for a large file in either direction: an output into
 * the blob dir, a blob out to where rustc would have written it. `dest` ends
 * with `mode` (a copy starts with the source's). On failure `dest` may be left
 * behind; the caller removes it.
 *
 * The copy is libuv's copyfile: a reflink where the file system has them
 * (btrfs, XFS), else copy_file_range or sendfile, page cache to page cache.
 * It used to go through a reused user-space buffer, read then written; on
 * this machine, during a warm tokio build, writing 24 MB from that buffer took
 * 250-600 ms (perf: the kernel's copy out of the buffer into the new pages),
 * where the kernel's own copy took 23-47 ms and the whole build went from
 * 2.4-2.5 s to 2.0-2.2 s (4 alternating pairs). Reading the copy back into the
 * buffer, for the digest, is the cheap direction.
 */
export async function copyThenDigest(src: string, dest: string, mode: number): Promise<{ digest: Digest; size: number }> {
  await copyFile(src, dest, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
  return withChunk(async (buf) => {
    const fh = await open(dest, 'r');
    try {
      await fh.chmod(mode);
      return await digestHandle(fh, buf);
    } finally {
      await fh.close();
    }
  });
}
