import type { BlobDir } from '@splitcache/store';
import type { ServerIndex } from './serverIndex.js';
import { holdsBlob } from './holdsBlob.js';

/**
 * How far before its start a server takes a file for one of its own PUTs: the file system's clock
 * (a kernel tick coarse) may lag the process's by a few milliseconds.
 */
const CLOCK_LAG_MS = 1000;

/** How far ahead of the clock a file may be dated and still be taken for a PUT in hand (a clock stepped back, NTP's slew). */
const AHEAD_MS = 10 * 60_000;

/**
 * Counts in the blob files that a kill or a power loss left in cas/ without their index entries,
 * and says how many. A PUT moves its verified file into place, then waits its turn for the index
 * (one write at a time), and a kill between the two left a file never counted in /status, never
 * evicted by --max-size, and answered 404 (a serve-operations helper: 25 such files, 5 MB, after 8
 * kills under 16 concurrent PUTs). The index's writes are not synced, so a power loss takes back
 * its last entries while the blob files, synced before their 201 (placeBlob.ts), stay. Only files
 * written before this server started (`startedAt`), or over a minute old: a PUT in hand writes its
 * own entry. Before, only those over a minute old: a server back within a minute of a power loss
 * (a quick reboot, a VM restarted) answered 404 for blobs it had answered 201, and never counted
 * them until a later start. Each file is hashed before it is counted in (holdsBlob.ts): only the
 * unindexed ones, few but after an index lost whole. Run in the background as the server starts
 * (a walk of 100,000 blobs takes about a second); `stopping` ends it early.
 */
export async function adoptUnindexed(blobs: BlobDir, index: ServerIndex, stopping: () => boolean, startedAt = 0, minAgeMs = 60_000): Promise<number> {
  let adopted = 0;
  const before = Math.max(Date.now() - minAgeMs, startedAt - CLOCK_LAG_MS);
  // A file dated well ahead of the clock (restored with its times from a machine whose clock ran
  // ahead, `touch -d` by hand) is no PUT in hand: skipped as one, it stayed uncounted, never evicted, until that date.
  const ahead = Date.now() + AHEAD_MS;
  for await (const b of blobs.list()) {
    if (stopping()) break;
    // Only files named as blobs come here (BlobDir.list()): an rsync's temp file or NFS's `.nfs…` was counted in, and its eviction threw.
    if ((b.mtimeMs > before && b.mtimeMs < ahead) || (await index.get('c', b.digest))) continue;
    // Checked as a PUT's body is: one that is not the blob stays uncounted, a 404, until a PUT writes over it.
    if (!(await holdsBlob(blobs.pathOf(b.digest), b.digest).catch(() => false))) continue;
    await index.replace('c', b.digest, b.size);
    adopted++;
  }
  return adopted;
}
