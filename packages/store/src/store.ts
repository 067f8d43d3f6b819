import { existsSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { ClassicLevel } from 'classic-level';
import { join } from 'node:path';
import { Level } from 'level';
import { unpack } from 'msgpackr';
import { packValue } from './packValue.js';
import { isEntryRecord, isManifestRecord } from './recordShape.js';
import { oneLine, SplitcacheError } from '@splitcache/errors';
import type { Digest } from '@splitcache/hash';
import { BlobDir } from './blobDir.js';
import { isAccessDenied, isDiskFull, isReadOnly } from './diskFull.js';
import { makeDirs } from './makeDirs.js';
import { decodeRecordBlob, encodeRecordBlob, RECORD_MAGIC, type EntryCommit } from './recordBlob.js';
import { MAX_EVICTED_RESULTS, MAX_RESULTS_PER_MANIFEST, type AuditEvent, type EntryRecord, type ManifestRecord, type ManifestResult } from './records.js';

type Bytes = Uint8Array;

const REPAIR_MARKER = 'index.needs-repair';

/**
 * The local store: a LevelDB index (manifests, entries, stats, access times,
 * the upload queue) and the content-addressed blob directory. Only one process may open it
 * (LevelDB's own lock); in practice that is the daemon.
 */
export class Store {
  private constructor(
    readonly dir: string,
    readonly db: Level<string, Bytes>,
    readonly blobs: BlobDir,
  ) {}

  /**
   * Opens the store. An index LevelDB can't open is repaired; one that is
   * beyond repair is moved aside and rebuilt from the record blobs, so a
   * corrupt index costs a rebuild, never a store that can't be used.
   * `onRecover` hears what was done.
   *
   * A full disk is not corruption: LevelDB can't open an index it can't
   * write to, and neither repair nor a rebuild could succeed there, so the
   * open fails with SPLITCACHE_STORE_FULL and leaves the index as it is.
   */
  static async open(dir: string, onRecover?: (what: string) => void): Promise<Store> {
    try {
      return await Store.openOrRepair(dir, onRecover);
    } catch (err) {
      if (isDiskFull(err)) throw new SplitcacheError('SPLITCACHE_STORE_FULL', `the disk of store ${dir} is full; it can't be opened until space is freed`, { cause: err });
      if (isAccessDenied(err) && !(err instanceof SplitcacheError)) throw accessError(dir, err);
      throw err;
    }
  }

  /**
   * `db`, or the error of its first read where that read finds a damaged table: LevelDB opens an
   * index whose .ldb files are cut short or overwritten, and fails on the first read of them.
   * Such an open went on, its first read threw LEVEL_IO_ERROR or LEVEL_CORRUPTION, and every
   * daemon after it served 'build uncached' for good. A full disk or a refused read is no damage.
   */
  private static async readable(db: Level<string, Bytes> | Error): Promise<Level<string, Bytes> | Error> {
    if (db instanceof Error) return db;
    const failed = await db.get('s!index-created').then(() => undefined, (e: unknown) => e as Error);
    if (!failed || isDiskFull(failed) || isAccessDenied(failed)) return db;
    await db.close().catch(() => undefined);
    return failed;
  }

  private static async openOrRepair(dir: string, onRecover?: (what: string) => void): Promise<Store> {
    await makeDirs(dir);
    const blobs = new BlobDir(join(dir, 'blobs'));
    await blobs.init();
    const location = join(dir, 'index');
    const marker = join(dir, REPAIR_MARKER);
    const repairAsked = existsSync(marker);
    let db = await openIndex(location).catch((e: unknown) => e as Error);
    if (db instanceof Error && isLocked(db)) throw lockedError(location, db);
    if (db instanceof Error && isDiskFull(db)) throw db;
    // Refused, not damaged: repairing (or moving the index aside) would lose another user's history.
    if (db instanceof Error && isAccessDenied(db)) throw accessError(dir, db);
    if (!(db instanceof Error) && repairAsked) {
      await db.close();
      db = new Error('a read found corruption');
    }
    db = await Store.readable(db);
    let rebuild = repairAsked;
    if (db instanceof Error) {
      onRecover?.(`SPLITCACHE_STORE_CORRUPT: index would not open (${db.message}); repairing`);
      const repaired = await ClassicLevel.repair(location).catch((e: unknown) => e as Error);
      if (repaired instanceof Error && isDiskFull(repaired)) throw repaired;
      db = await Store.readable(await openIndex(location).catch((e: unknown) => e as Error));
    }
    if (db instanceof Error) {
      if (isLocked(db)) throw lockedError(location, db);
      if (isDiskFull(db)) throw db;
      if (isAccessDenied(db)) throw accessError(dir, db);
      const aside = `${location}.corrupt-${Date.now()}`;
      // Moved, never deleted: an index that can't be moved is left as it is, and the store not opened.
      await rename(location, aside);
      onRecover?.(`SPLITCACHE_STORE_CORRUPT: repair failed; index moved to ${aside} and rebuilt from the blobs`);
      db = await openIndex(location);
      rebuild = true;
    }
    // This process holds the index lock now: temp files left by a killed writer can go.
    await blobs.init(true);
    const store = new Store(dir, db, blobs);
    blobs.onReplaced = onRecover;
    // A new index (first use, or the old one deleted) is filled from whatever record blobs exist.
    rebuild ||= (await db.get('s!index-created')) === undefined;
    if (rebuild) {
      const n = await store.rebuildFromBlobs();
      if (n > 0) onRecover?.(`rebuilt ${n} entries from record blobs`);
      await db.put('s!index-created', packValue(Date.now()));
    }
    await rm(marker, { force: true });
    return store;
  }

  /** Asks the next open to repair the index and re-add every entry from the record blobs. */
  async requestRepair(): Promise<void> {
    await writeFile(join(this.dir, REPAIR_MARKER), `${new Date().toISOString()}\n`);
  }

  /** Re-creates entries and manifest results from the record blobs (after losing the index). */
  async rebuildFromBlobs(): Promise<number> {
    let n = 0;
    for await (const b of this.blobs.list()) {
      if (!(await this.blobs.startsWith(b.digest, RECORD_MAGIC))) continue;
      const c = decodeRecordBlob(await this.blobs.read(b.digest).catch(() => Buffer.alloc(0)));
      if (!c) continue;
      await this.commitIndex(c, b.digest);
      n++;
    }
    return n;
  }

  /**
   * Commits an entry: its record blob first, then the entry, its access time
   * and its manifest result in one LevelDB batch, so a crash leaves either all
   * of them or none. The output blobs must already exist.
   */
  async commitEntry(c: EntryCommit): Promise<void> {
    const recordDigest = await this.blobs.write(encodeRecordBlob(c));
    await this.commitIndex(c, recordDigest);
  }

  private async commitIndex(c: EntryCommit, recordDigest: Digest): Promise<void> {
    const prev = await this.getManifest(c.manifestKey).catch(() => undefined);
    const results = [c.result, ...(prev?.results ?? []).filter((r) => r.entryKey !== c.result.entryKey)];
    const manifest: ManifestRecord = { ...c.manifest, results: results.slice(0, MAX_RESULTS_PER_MANIFEST) };
    // The marks of other results evicted from it stay (with their age), this one's goes: it is stored again.
    const evicted = prev?.evictedResults?.filter((r) => r.entryKey !== c.result.entryKey);
    if (prev?.results.length && evicted?.length) Object.assign(manifest, { evictedResults: evicted, evictedAt: prev.evictedAt });
    await this.db.batch([
      { type: 'put', key: `e!${c.result.entryKey}`, value: packValue({ ...c.entry, recordDigest }) },
      { type: 'put', key: `t!${c.result.entryKey}`, value: packValue(Date.now()) },
      { type: 'put', key: `m!${c.manifestKey}`, value: packValue(manifest) },
    ]);
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  async getManifest(key: Digest): Promise<ManifestRecord | undefined> {
    return this.getRecord(`m!${key}`, isManifestRecord);
  }

  async getEntry(key: Digest): Promise<EntryRecord | undefined> {
    return this.getRecord(`e!${key}`, isEntryRecord);
  }

  async deleteEntry(key: Digest): Promise<void> {
    await this.db.batch([
      { type: 'del', key: `e!${key}` },
      { type: 'del', key: `t!${key}` },
    ]);
  }

  /** Records that entries were hit now (gc's LRU), in one write. */
  async touchAll(keys: Digest[]): Promise<void> {
    const now = packValue(Date.now());
    await this.db.batch(keys.map((k) => ({ type: 'put' as const, key: `t!${k}`, value: now })));
  }

  /**
   * Deletes the last-use records (`t!`) of entries not in `live`. A hit's write racing its entry's
   * eviction leaves one (the daemon writes them outside its maintenance lock), read by nothing.
   */
  async dropTimesBut(live: Set<Digest>): Promise<void> {
    const ops: { type: 'del'; key: string }[] = [];
    for await (const k of this.db.keys({ gt: 't!', lt: 't!~' })) if (!live.has(k.slice(2))) ops.push({ type: 'del', key: k });
    if (ops.length > 0) await this.db.batch(ops);
  }

  async getMeta<T>(name: string): Promise<T | undefined> {
    return this.getRecord<T>(`s!${name}`);
  }

  async putMeta(name: string, value: unknown): Promise<void> {
    await this.db.put(`s!${name}`, packValue(value));
  }

  /**
   * Every entry with its last access time, in key order. An entry of another shape (SPLITCACHE_MANIFEST_MALFORMED)
   * is skipped: put in `damaged` where given, for the caller to evict (damagedRecords.ts), else its `e!` key deleted.
   */
  async *entries(damaged?: Set<Digest>): AsyncGenerator<[Digest, EntryRecord, number]> {
    const times = new Map<string, number>();
    for await (const [k, v] of this.db.iterator({ gt: 't!', lt: 't!~' })) {
      try {
        times.set(k.slice(2), unpack(v) as number);
      } catch {
        /* no time: treated as never hit */
      }
    }
    for await (const [k, v] of this.db.iterator({ gt: 'e!', lt: 'e!~' })) {
      let e: unknown;
      try {
        e = unpack(v);
      } catch {
        e = undefined;
      }
      if (!isEntryRecord(e)) {
        if (damaged) damaged.add(k.slice(2));
        else await this.db.del(k).catch(() => undefined);
        continue;
      }
      yield [k.slice(2), e, times.get(k.slice(2)) ?? 0];
    }
  }

  /**
   * Deletes entries and drops them from every manifest. A manifest left with no result stays,
   * marked `evictedAt` (ManifestRecord), so a later miss of its key is told apart from a new key;
   * one that keeps others records the evicted ones (`evictedResults`) unless `cause` is false (an
   * entry evicted for a failed link, not for the store's size: its miss must not say `evicted`).
   * `verify`'s marks say so (`damaged`): its misses are `damaged`, not the store's size limit's.
   */
  async evictEntries(keys: Set<Digest>, now = Date.now(), cause: 'gc' | 'verify' | false = 'gc'): Promise<void> {
    if (keys.size === 0) return;
    const ops: ({ type: 'put'; key: string; value: Uint8Array } | { type: 'del'; key: string })[] = [];
    // Its queued upload too: its blobs are going, so it can never go up, and with the remote down
    // (for weeks, or for good) nothing else would take it out of the queue.
    for (const k of keys) ops.push({ type: 'del', key: `e!${k}` }, { type: 'del', key: `t!${k}` }, { type: 'del', key: `q!${k}` });
    for await (const [mk, m] of this.manifests()) {
      const results = m.results.filter((r) => !keys.has(r.entryKey));
      if (results.length === m.results.length) continue;
      // The mark keeps no components (a key's can run to kilobytes, and marks stay for the audit log's 90 days).
      const damaged = cause === 'verify' ? { damaged: true as const } : {};
      const gone = m.results.filter((r) => keys.has(r.entryKey)).map(({ damaged: _was, ...r }) => ({ ...r, ...damaged }));
      const evictedResults = [...gone, ...(m.evictedResults ?? [])].slice(0, MAX_EVICTED_RESULTS);
      const kept: ManifestRecord = cause ? { ...m, results, evictedResults, evictedAt: now } : { ...m, results };
      const value: ManifestRecord = results.length > 0 ? kept : { v: 1, crateName: m.crateName, components: [], results, evictedAt: now, ...damaged };
      ops.push({ type: 'put', key: `m!${mk}`, value: packValue(value) });
    }
    await this.db.batch(ops);
  }

  /** Drops the marks evictEntries left before `before` (ms): manifests it left empty, and the evicted results of others; how many manifests it changed. */
  async forgetEvicted(before: number): Promise<number> {
    const ops: ({ type: 'put'; key: string; value: Uint8Array } | { type: 'del'; key: string })[] = [];
    for await (const [mk, m] of this.manifests()) {
      if ((m.evictedAt ?? 0) >= before) continue;
      if (m.results.length === 0) ops.push({ type: 'del', key: `m!${mk}` });
      else if (m.evictedResults) {
        const { evictedResults: _old, evictedAt: _at, ...kept } = m;
        ops.push({ type: 'put', key: `m!${mk}`, value: packValue(kept) });
      }
    }
    if (ops.length > 0) await this.db.batch(ops);
    return ops.length;
  }

  /**
   * Compacts the whole index, so what was deleted leaves its files: LevelDB keeps a deleted key's
   * tombstone until a compaction of its own, and after `splitcache clear` a store of no entry
   * still showed megabytes of index (4.2 MiB after a long-lived daemon's 750 builds: a helper's).
   */
  async compact(): Promise<void> {
    const db = this.db as unknown as { compactRange(start: string, end: string): Promise<void> };
    // LevelDB's compactRange rewrites no table already at the deepest level that has one, and a
    // table flushed from memory goes as deep as nothing overlaps it: what was written and deleted
    // since the last flush stayed, tombstones and all (4 MB written and deleted: 250 KB left).
    // So the memory is flushed first, then a table spanning every key (two markers, outside every
    // prefix) is made to overlap those tables, and the second compaction merges it into them.
    await db.compactRange('', '\uffff');
    await this.db.batch([{ type: 'put', key: '!', value: new Uint8Array(0) }, { type: 'put', key: '~', value: new Uint8Array(0) }]);
    await db.compactRange('', '\uffff');
    await this.db.batch([{ type: 'del', key: '!' }, { type: 'del', key: '~' }]);
  }

  /** Every manifest, in key order (for `explain`, which looks for a crate's nearest earlier key). */
  async *manifests(): AsyncGenerator<[string, ManifestRecord]> {
    for await (const [k, v] of this.db.iterator({ gt: 'm!', lt: 'm!~' })) {
      let m: unknown;
      try {
        m = unpack(v);
      } catch {
        continue; // skipped: a damaged record is dropped on its next direct read
      }
      if (isManifestRecord(m)) yield [k.slice(2), m];
    }
  }

  /** Adds to the upload queue (`q!<entry key>`); queuing the same entry twice keeps one item. */
  async putQueued(entryKey: Digest, item: unknown): Promise<void> {
    await this.db.put(`q!${entryKey}`, packValue(item));
  }

  /** Up to `limit` queued uploads, as [entry key, item], in key order; `after`: those past that key. */
  async queued<T>(limit: number, after?: Digest): Promise<[Digest, T][]> {
    const out: [Digest, T][] = [];
    for await (const [k, v] of this.db.iterator({ gt: `q!${after ?? ''}`, lt: 'q!~', limit })) {
      try {
        out.push([k.slice(2), unpack(v) as T]);
      } catch {
        await this.db.del(k); // a damaged item can never be uploaded
      }
    }
    return out;
  }

  async deleteQueued(entryKey: Digest): Promise<void> {
    await this.db.del(`q!${entryKey}`);
  }

  /** Appends audit lines in one batch. Keys sort by time; the sequence breaks ties within a millisecond. */
  async appendEvents(events: AuditEvent[]): Promise<void> {
    const ops = events.map((e) => {
      this.seq = (this.seq + 1) % 1_000_000;
      return { type: 'put' as const, key: `a!${e.time.toString(36).padStart(10, '0')}${this.seq.toString(36).padStart(4, '0')}`, value: packValue(e) };
    });
    await this.db.batch(ops);
  }

  /** The audit log in time order, from `since` (ms) on. */
  async *events(since = 0): AsyncGenerator<AuditEvent> {
    const gte = `a!${since.toString(36).padStart(10, '0')}`;
    for await (const [, v] of this.db.iterator({ gte, lt: 'a!~' })) {
      try {
        yield unpack(v) as AuditEvent;
      } catch {
        /* a damaged log line is skipped, not fatal */
      }
    }
  }

  /** Removes the audit log's lines from before `before` (ms); how many went. */
  async trimEvents(before: number): Promise<number> {
    const range = { gt: 'a!', lt: `a!${Math.max(0, before).toString(36).padStart(10, '0')}` };
    let n = 0;
    for await (const _ of this.db.keys(range)) n++;
    if (n > 0) await this.db.clear(range);
    return n;
  }

  private seq = 0;

  /**
   * A manifest or entry, on every lookup. Read synchronously: LevelDB answers from its
   * memtable or block cache in microseconds, while an async get is a round trip through
   * libuv's thread pool, whose wake-ups were the tail of a hit's time (p99 3.6 ms each).
   */
  private async getRecord<T>(key: string, shaped: (v: unknown) => v is T = (v): v is T => true): Promise<T | undefined> {
    const v = this.db.getSync(key);
    if (v === undefined) return undefined;
    let value: unknown;
    try {
      value = unpack(v);
    } catch (cause) {
      await this.db.del(key).catch(() => undefined);
      throw new SplitcacheError('SPLITCACHE_MANIFEST_MALFORMED', `the cache index's record ${key} is damaged (not valid msgpack); dropped`, { cause });
    }
    if (shaped(value)) return value;
    await this.db.del(key).catch(() => undefined);
    throw new SplitcacheError('SPLITCACHE_MANIFEST_MALFORMED', `the cache index's record ${key} is damaged (not a record of this version's shape); dropped`);
  }
}

async function openIndex(location: string): Promise<Level<string, Bytes>> {
  const db = new Level<string, Bytes>(location, { valueEncoding: 'view' });
  await db.open();
  return db;
}

function isLocked(err: Error): boolean {
  const e = err as { code?: string; cause?: { code?: string } };
  return e.code === 'LEVEL_LOCKED' || e.cause?.code === 'LEVEL_LOCKED';
}

function accessError(dir: string, cause: unknown): SplitcacheError {
  const why = isReadOnly(cause) ? 'is on a read-only file system' : 'is not writable by this user';
  return new SplitcacheError('SPLITCACHE_STORE_ACCESS', `store ${dir} ${why} (${oneLine(cause)})`, { cause });
}

function lockedError(location: string, cause: unknown): SplitcacheError {
  return new SplitcacheError('SPLITCACHE_STORE_LOCKED', `store index ${location} is locked by another process`, { cause });
}
