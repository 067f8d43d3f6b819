import { closeSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { inChain } from '@splitcache/store';

/**
 * An index that failed a write of its own for a full disk.
 *
 * LevelDB keeps such a failure (a table it flushed, its log) for good: every
 * write after it fails the same way until the database is opened again, even
 * once the disk has room. A hunting helper's daemon stored nothing more after
 * space was freed, said "the store's disk is full" to every build, and `gc`
 * failed with LevelDB's own error, until it was stopped; builds every few
 * minutes kept it from its idle exit. Reads still work, so hits are still
 * served meanwhile. Once the disk has room (hasRoom), the daemon stops, and
 * the next call starts one that opens the index anew (main.ts).
 */
export function isIndexFull(err: unknown): boolean {
  return inChain(err, (e) => typeof e.code === 'string' && e.code.startsWith('LEVEL_') && /No space left on device|Disk quota exceeded/i.test(e.message ?? ''));
}

/** How often a daemon whose index is full looks for room. */
export const ROOM_POLL_MS = 5_000;

/**
 * Whether the index in `dir` has room to work again: 64 MiB free (LevelDB writes tables of a few
 * MiB, and compacts several at once), or a tenth of a smaller disk; an inode free; and that much
 * (8 MiB at most) written there for a moment: a quota, or a file system whose free count says
 * little (btrfs's metadata), shows only to a write, and a restart into a store that can't open
 * costs every call its hits for 30 s (a review helper's finding: a quota looped it so).
 */
export function hasRoom(dir: string): boolean {
  let need: number;
  try {
    const fs = statfsSync(dir);
    need = Math.min(64 * 2 ** 20, (fs.blocks * fs.bsize) / 10);
    if (fs.bavail * fs.bsize < need) return false;
    if (fs.files > 0 && fs.ffree === 0) return false;
  } catch {
    return false;
  }
  const probe = join(dir, `room-probe.${process.pid}`);
  try {
    const fd = openSync(probe, 'w');
    try {
      const chunk = Buffer.alloc(Math.min(need, 8 * 2 ** 20));
      // Less than all is no room: a quota's last bytes are taken, and only the write after them fails
      // (libuv writes on after a partial write, and returns the part where the next one failed).
      if (writeSync(fd, chunk) < chunk.length) return false;
    } finally {
      closeSync(fd);
    }
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { force: true });
  }
}
