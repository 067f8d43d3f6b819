import type { Digest } from '@splitcache/hash';
import { unpack } from 'msgpackr';
import { isEntryRecord, isManifestRecord } from './recordShape.js';
import type { Store } from './store.js';

/**
 * Drops every index record that does not decode to the shape the daemon reads
 * (SPLITCACHE_MANIFEST_MALFORMED), for `gc` and `audit verify`; how many went.
 *
 * Store.entries() skips such an entry and deletes its `e!` key alone: its access time (`t!`), its
 * queued upload (`q!`) and the manifest results naming it stayed, to read as an entry gone at
 * the next lookup, and gc and verify said nothing of it. An entry goes here as verify's evictions
 * do (Store.evictEntries, 'verify': its results are marked damaged), and a damaged manifest is
 * deleted, as its next lookup would delete it, so the run after this one finds none of them.
 */
export async function dropDamagedRecords(store: Store): Promise<number> {
  const entries = new Set<Digest>();
  for await (const [k, v] of store.db.iterator({ gt: 'e!', lt: 'e!~' })) if (!isEntryRecord(decoded(v))) entries.add(k.slice(2));
  const manifests: string[] = [];
  for await (const [k, v] of store.db.iterator({ gt: 'm!', lt: 'm!~' })) if (!isManifestRecord(decoded(v))) manifests.push(k);
  if (manifests.length > 0) await store.db.batch(manifests.map((key) => ({ type: 'del' as const, key })));
  await store.evictEntries(entries, Date.now(), 'verify');
  return entries.size + manifests.length;
}

function decoded(v: Uint8Array): unknown {
  try {
    return unpack(v);
  } catch {
    return undefined;
  }
}
