import type { BlobDir } from '@splitcache/store';
import type { ServerIndex } from './serverIndex.js';

/**
 * Counts in the blob files that a kill left in cas/ without their index entries, and says how many.
 * A PUT moves its verified file into place, then waits its turn for the index (one write at a time),
 * and a kill between the two left a file never counted in /status, never evicted by --max-size, and
 * answered 404 (a serve-operations helper: 25 such files, 5 MB, after 8 kills under 16 concurrent
 * PUTs). Only files over a minute old: a PUT in hand writes its own entry. Run in the background
 * as the server starts (a walk of 100,000 blobs takes about a second); `stopping` ends it early.
 */
export async function adoptUnindexed(blobs: BlobDir, index: ServerIndex, stopping: () => boolean, minAgeMs = 60_000): Promise<number> {
  let adopted = 0;
  const before = Date.now() - minAgeMs;
  for await (const b of blobs.list()) {
    if (stopping()) break;
    if (b.mtimeMs > before || (await index.get('c', b.digest))) continue;
    await index.replace('c', b.digest, b.size);
    adopted++;
  }
  return adopted;
}
