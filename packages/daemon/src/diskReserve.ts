import { statfsSync } from 'node:fs';
import { SplitcacheError } from '@splitcache/errors';
import { formatBytes } from '@splitcache/store/gc';

/**
 * Room kept free for the build on the store's disk.
 *
 * The store is most often on the disk of the target dir (`~/.cache` beside the checkout), so
 * every result it keeps is room a build's own outputs can't have: on a disk that a plain build
 * nearly filled, the cache's blobs took the last of it and the final link failed (`ld terminated
 * with signal 7 [Bus error]`, a hunting helper's repro), a build that succeeds without splitcache.
 * So a result that would leave the disk with less than RESERVE free is not stored. It narrows
 * that risk, and can't end it: a build's outputs after the last store can need more. The same
 * holds for inodes: a store on a disk made with few of them (a small image, `mkfs -N`) took the
 * last, and its results went on failing one by one with ENOSPC, said to be a full disk while
 * `df -h` showed room (a hunting helper's repro); a build's own files need inodes as much as bytes.
 */
export function checkRoom(dir: string, bytes: number, files: number): void {
  let fs;
  try {
    fs = statfsSync(dir);
  } catch {
    return; // the write that follows says what is wrong
  }
  // A file system that reports no sizes (a FUSE one without statfs) is not judged by them, nor one
  // that counts no inodes (btrfs makes them as it needs them) by those.
  if (fs.blocks > 0) {
    const free = fs.bavail * fs.bsize;
    const reserve = Math.min(RESERVE_MAX_BYTES, fs.blocks * fs.bsize * RESERVE_SHARE);
    if (free - bytes < reserve) {
      throw new SplitcacheError('SPLITCACHE_STORE_FULL', `the store's disk has ${formatBytes(free)} free, and storing this result would leave less than the ${formatBytes(reserve)} kept free for builds`);
    }
  }
  if (fs.files > 0) {
    const reserve = Math.min(RESERVE_MAX_INODES, Math.floor(fs.files * RESERVE_SHARE));
    if (fs.ffree - files < reserve) {
      throw new SplitcacheError('SPLITCACHE_STORE_FULL', `the store's disk has ${fs.ffree} inodes free (df -i), and storing this result would leave less than the ${reserve} kept free for builds`);
    }
  }
}

/** The reserve: a twentieth of the disk, at most 1 GiB (a large crate's debug binary is a few hundred MB). */
const RESERVE_SHARE = 0.05;
const RESERVE_MAX_BYTES = 2 ** 30;
/** And a twentieth of its inodes, at most 100,000 (the target dir of a large workspace holds tens of thousands of files). */
const RESERVE_MAX_INODES = 100_000;
