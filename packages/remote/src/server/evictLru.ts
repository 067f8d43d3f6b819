import type { BlobDir } from '@splitcache/store';
import type { KeyTurns } from './keyTurns.js';
import type { ServerIndex } from './serverIndex.js';

/** Items read from the LRU order at a time. */
const BATCH = 64;

/**
 * Evicts least recently used items until the index's stored bytes are at most `maxBytes`. Each
 * item is evicted in its key's turn (keyTurns.ts): its entry dropped, then its blob file removed,
 * with no PUT of it in between. An item a PUT is writing is passed over (it is young again once
 * that PUT ends), and so is one a GET or a PUT has moved since it was read as the oldest.
 */
export async function evictLru(index: ServerIndex, blobs: BlobDir, turns: KeyTurns, maxBytes: number): Promise<void> {
  while (index.totals.bytes > maxBytes) {
    let evicted = 0;
    for (const { kind, key, item } of await index.oldest(BATCH)) {
      if (index.totals.bytes <= maxBytes) return;
      const gone = await turns.runIfFree(kind + key, async () => {
        if (!(await index.remove(kind, key, item))) return false;
        if (kind === 'c') await blobs.remove(key);
        return true;
      });
      if (gone) evicted++;
    }
    // Each of the oldest written or moved meanwhile: the next change's call goes on.
    if (evicted === 0) return;
  }
}
