import type { Digest } from '@splitcache/hash';
import type { OutputRecord, Store } from '@splitcache/store';

/**
 * The outputs of a miss's entry whose blobs the store removed since its ingest began
 * (`removed`: BlobDir.watchRemovals), written again by `write` (the output stored anew from its
 * file). A blob's write leaves a blob already under its name alone; a hit that found that copy
 * bad removed it as the miss went on to commit, and the entry named a blob gone. False where an
 * output no longer gives the digest its entry records (its file changed since), or one is still
 * missing after a few rounds: the entry can't be made whole.
 */
export async function writtenAgain(store: Store, removed: Set<Digest>, outputs: readonly OutputRecord[], write: (name: string) => Promise<{ digest: Digest }>): Promise<boolean> {
  // Nothing removed since the ingest began (nearly always): no blob of it to look at.
  if (removed.size === 0) return true;
  // Rounds, as a blob written again may be found bad and removed again meanwhile; a few are plenty.
  for (let round = 0; round < 3 && removed.size > 0; round++) {
    const gone = outputs.filter((o) => removed.has(o.digest));
    removed.clear();
    // Written whether or not a blob is there now: a write leaves one there alone (another ingest's).
    for (const o of gone) if ((await write(o.name)).digest !== o.digest) return false;
  }
  return outputs.every((o) => store.blobs.sizeSync(o.digest) !== undefined);
}
