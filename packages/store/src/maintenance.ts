import type { Digest } from '@splitcache/hash';
import { isSplitcacheError } from '@splitcache/errors';
import { dropDamagedRecords } from './damagedRecords.js';
import { planEviction, type EntrySummary } from './gc.js';
import type { Store } from './store.js';

export type Progress = (done: number, total: number, phase: string) => void;

export interface GcResult {
  entriesBefore: number;
  entriesEvicted: number;
  blobsRemoved: number;
  bytesRemoved: number;
  bytesKept: number;
  /** Audit log lines older than `auditKeepMs`, removed. */
  auditLinesRemoved: number;
  /** The last use (store or hit, ms since the epoch) of the most recently used entry evicted; 0 if none went. */
  newestEvictedUse: number;
  /** Index records that did not decode to their shape (SPLITCACHE_MANIFEST_MALFORMED), dropped (damagedRecords.ts). */
  damagedRecords: number;
}

/**
 * Evicts entries (LRU by last hit, and older than `olderThan`) until the
 * blobs the kept entries need fit in `maxBytes`, then removes blobs no kept
 * entry needs, and the audit log's lines (and the marks of evicted manifests, Store.forgetEvicted)
 * older than `auditKeepMs`. A blob that a committed entry still names is never removed. Index
 * records that don't decode to their shape are dropped and counted (`damagedRecords`; manifests only
 * with `checkManifests`: damagedRecords.ts).
 * The daemon runs this under its maintenance lock, so no ingest or replay is
 * in flight meanwhile.
 */
export async function collectGarbage(
  store: Store,
  opts: {
    maxBytes: number; olderThan?: number; auditKeepMs?: number; /** blobs younger than this are kept (an ingest in another process) */ graceMs?: number;
    /** Scan every manifest for damage too (an explicit gc; damagedRecords.ts). */ checkManifests?: boolean;
  },
  progress?: Progress,
): Promise<GcResult> {
  const damaged = new Set<Digest>();
  const entries: EntrySummary[] = [];
  for await (const [key, e, lastAccess] of store.entries(damaged)) {
    const blobs = e.outputs.map((o) => ({ digest: o.digest, size: o.size }));
    // The record blob (everything the index knows of the entry, its stdout and stderr included) is
    // on disk as the outputs are, and counts against max-size as they do: its size is in no record.
    if (e.recordDigest) blobs.push({ digest: e.recordDigest, size: store.blobs.sizeSync(e.recordDigest) ?? 0 });
    entries.push({ key, lastAccess, blobs });
  }
  const damagedRecords = await dropDamagedRecords(store, damaged, opts.checkManifests ?? false);
  const plan = planEviction(entries, opts);
  await store.evictEntries(plan.evict);
  await store.dropTimesBut(new Set(entries.filter((e) => !plan.evict.has(e.key)).map((e) => e.key)));
  const needed = new Set<Digest>();
  for (const e of entries) if (!plan.evict.has(e.key)) for (const b of e.blobs) needed.add(b.digest);
  let blobsRemoved = 0;
  let bytesRemoved = 0;
  let seen = 0;
  const now = Date.now();
  for await (const b of store.blobs.list()) {
    progress?.(++seen, 0, 'gc');
    // Young within the grace either way: a blob dated ahead of the clock (a store restored from a machine whose
    // clock ran ahead, a clock stepped back) read as younger than any grace, and no gc or `clear` removed it, ever.
    if (needed.has(b.digest) || Math.abs(now - b.mtimeMs) < (opts.graceMs ?? 0)) continue;
    // One that stays (another user's, in a shard dir this user can't write) is not counted as removed.
    if (!(await store.blobs.remove(b.digest))) continue;
    blobsRemoved++;
    bytesRemoved += b.size;
  }
  let auditLinesRemoved = 0;
  if (opts.auditKeepMs !== undefined && Number.isFinite(opts.auditKeepMs)) {
    auditLinesRemoved = await store.trimEvents(now - opts.auditKeepMs);
    await store.forgetEvicted(now - opts.auditKeepMs);
  }
  let newestEvictedUse = 0;
  for (const e of entries) if (plan.evict.has(e.key)) newestEvictedUse = Math.max(newestEvictedUse, e.lastAccess);
  return { entriesBefore: entries.length, entriesEvicted: plan.evict.size, blobsRemoved, bytesRemoved, bytesKept: plan.keptBytes, auditLinesRemoved, newestEvictedUse, damagedRecords };
}

export interface VerifyResult {
  entries: number;
  blobsChecked: number;
  /** Every blob found bad: not matching its digest, or missing (those also in `missingBlobs`). */
  badBlobs: Digest[];
  missingBlobs: Digest[];
  entriesEvicted: number;
  /** The crates whose entries were evicted, sorted. */
  evictedCrates: string[];
  /** Index records that did not decode to their shape (SPLITCACHE_MANIFEST_MALFORMED), dropped (damagedRecords.ts). */
  damagedRecords: number;
  /** The crates whose damaged entry records were dropped, sorted (those a manifest still named). */
  damagedCrates: string[];
}

/**
 * Re-hashes every blob every entry needs. A blob that is missing or doesn't
 * match its digest is removed, and every entry that needs it is evicted, so
 * the next build recompiles those crates cleanly. Index records that don't decode to their shape,
 * manifests included, are dropped and counted (`damagedRecords`), as in collectGarbage.
 */
export async function verifyStore(store: Store, progress?: Progress): Promise<VerifyResult> {
  const damaged = new Set<Digest>();
  const needs = new Map<Digest, Digest[]>();
  const crates = new Map<Digest, string>();
  let entries = 0;
  for await (const [key, e] of store.entries(damaged)) {
    entries++;
    crates.set(key, e.crateName);
    const digests = e.outputs.map((o) => o.digest);
    if (e.recordDigest) digests.push(e.recordDigest);
    // Pushed in place: a list copied at each entry was quadratic in the entries sharing a blob.
    for (const d of digests) {
      const users = needs.get(d);
      if (users) users.push(key);
      else needs.set(d, [key]);
    }
  }
  const damagedCrates = new Set<string>();
  const damagedRecords = await dropDamagedRecords(store, damaged, true, damagedCrates);
  const bad: Digest[] = [];
  const missing: Digest[] = [];
  const evict = new Set<Digest>();
  let done = 0;
  for (const [digest, users] of needs) {
    progress?.(++done, needs.size, 'verify');
    try {
      // Kept until its entries are evicted: removed here, a verify killed before its evictions (at
      // the end of a walk that may take minutes) left entries naming a blob gone, each a fault and a
      // recompile at its next lookup. Now a kill during the walk leaves the store as it was.
      await store.blobs.read(digest, undefined, true);
    } catch (err) {
      // A blob that can't be read this moment (SPLITCACHE_STORE_IO: no file descriptor left) is not known to be bad: the run stops, with that line.
      if (!isSplitcacheError(err) || isSplitcacheError(err, 'SPLITCACHE_STORE_IO')) throw err;
      bad.push(digest);
      // A blob gone was reported as damaged (SPLITCACHE_BLOB_CORRUPT): an error-message audit's find.
      if (isSplitcacheError(err, 'SPLITCACHE_BLOB_MISSING')) missing.push(digest);
      for (const u of users) evict.add(u);
    }
  }
  await store.evictEntries(evict, Date.now(), 'verify');
  // A directory under a blob's name is moved aside, as a read that finds one does (BlobDir.discard).
  for (const digest of bad) await store.blobs.discard(digest);
  const evictedCrates = [...new Set([...evict].map((k) => crates.get(k) ?? '?'))].sort();
  return { entries, blobsChecked: needs.size, badBlobs: bad, missingBlobs: missing, entriesEvicted: evict.size, evictedCrates, damagedRecords, damagedCrates: [...damagedCrates].sort() };
}
