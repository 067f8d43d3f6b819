import type { Digest } from '@splitcache/hash';
import { unpack } from 'msgpackr';
import { isManifestRecord } from './recordShape.js';
import type { Store } from './store.js';

/**
 * Drops the damaged index records of a gc or an `audit verify` run (SPLITCACHE_MANIFEST_MALFORMED);
 * how many went. `entries`: the entries of another shape its pass over them found
 * (Store.entries(damaged)); `manifests`: scan every manifest too, and add to `crates` the crate
 * of each manifest that names one of those entries.
 *
 * Store.entries() skipped such an entry and deleted its `e!` key alone: its access time (`t!`), its
 * queued upload (`q!`) and the manifest results naming it stayed, to read as an entry gone at
 * the next lookup, and gc and verify said nothing of it. An entry goes here as verify's evictions
 * do (Store.evictEntries, 'verify': its results are marked damaged). A damaged manifest is deleted,
 * as its next lookup would delete it, by `audit verify` and an explicit `splitcache gc`; the gc a
 * daemon runs by itself, when the store outgrows its limit and under the lock every lookup waits
 * for, leaves them to their lookups: reading every manifest made it several times as long (30,000
 * entries: 3.3-4.9 s against 0.6-1.0 s).
 */
export async function dropDamagedRecords(store: Store, entries: Set<Digest>, manifests: boolean, crates?: Set<string>): Promise<number> {
  const damaged: string[] = [];
  if (manifests) {
    for await (const [k, v] of store.db.iterator({ gt: 'm!', lt: 'm!~' })) {
      const m = decoded(v);
      if (!isManifestRecord(m)) damaged.push(k);
      // A damaged entry's crate, by the manifest naming it: `audit verify` named only the crates of bad blobs.
      else if (crates && entries.size > 0 && m.results.some((r) => entries.has(r.entryKey))) crates.add(m.crateName);
    }
  }
  if (damaged.length > 0) await store.db.batch(damaged.map((key) => ({ type: 'del' as const, key })));
  await store.evictEntries(entries, Date.now(), 'verify');
  return entries.size + damaged.length;
}

function decoded(v: Uint8Array): unknown {
  try {
    return unpack(v);
  } catch {
    return undefined;
  }
}
