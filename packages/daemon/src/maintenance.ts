import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { collectGarbage, verifyStore, type GcResult, type Progress, type Store, type VerifyResult } from '@splitcache/store';
import { formatBytes } from '@splitcache/store/gc';
import type { DaemonConfig } from './config.js';
import type { Logger } from './log.js';
import { RwLock } from './rwLock.js';
import type { StatsKeeper } from './stats.js';

/**
 * An auto gc that evicts an entry used this recently says the store is too small: LRU over
 * builds that each need more than the limit holds evicts, while a build stores, the entries the
 * next build asks for first, and every one of them misses (a 30 MiB store under a grep build
 * that stores ~150 MiB: 0 hits in three builds, each miss a `new-key` before).
 */
export const RECENT_USE_MS = 3600_000;

export interface StoreUsage {
  blobs: number;
  blobBytes: number;
  /** The LevelDB index's files. */
  indexBytes: number;
  /** SPLITCACHE_MAX_SIZE: gc evicts beyond it. */
  maxBytes: number;
}

/**
 * Store maintenance in the daemon: gc (LRU eviction to max-size) and verify,
 * under an exclusive lock that every replay and ingest shares. gc runs by
 * itself once a twentieth of max-size has been stored since the last check
 * and the store has outgrown max-size; one that evicts an entry used within
 * the hour says the limit is too small (SPLITCACHE_STORE_TOO_SMALL). Both
 * count what they evict (Stats.evicted).
 */
export class Maintenance {
  readonly lock = new RwLock();
  private storedSinceCheck = 0;
  private checking = false;

  constructor(
    private readonly store: Store,
    private readonly config: DaemonConfig,
    private readonly s: { log: Logger; stats: StatsKeeper; /** a line for the next build (Services.showLater) */ showLater: (code: string, line: string) => void },
  ) {}

  /**
   * `clear`: every entry goes, and the marks gc leaves of evicted ones too, so that the next build's
   * misses read as a first build's, not as the size limit's evictions (`explain` sent a user who
   * had cleared the store to raise SPLITCACHE_MAX_SIZE: a review's finding).
   */
  async gc(opts: { maxBytes?: number; olderThan?: number; clear?: boolean; /** a user's `splitcache gc`: damaged manifests too (damagedRecords.ts) */ checkManifests?: boolean }, progress?: Progress): Promise<GcResult> {
    const { auditKeepMs } = this.config;
    const r = await this.lock.exclusive(async () => {
      const done = await collectGarbage(this.store, { maxBytes: opts.maxBytes ?? this.config.maxBytes, olderThan: opts.olderThan, auditKeepMs, checkManifests: opts.checkManifests }, progress);
      if (opts.clear) {
        await this.store.forgetEvicted(Date.now() + 1);
        await this.store.compact().catch((err: unknown) => this.s.log.warn(`index compaction after clear failed: ${String(err)}`));
      }
      return done;
    });
    this.s.stats.evictedEntries(r.entriesEvicted);
    this.countDamaged(r.damagedRecords);
    return r;
  }

  /** Index records gc or verify dropped for their shape: `stats` counts them with those a lookup drops. */
  private countDamaged(n: number): void {
    if (n > 0) this.s.stats.count('errors', 'SPLITCACHE_MANIFEST_MALFORMED', n);
  }

  /**
   * Removes the audit log's lines older than SPLITCACHE_AUDIT_DAYS, a while
   * after the daemon starts (off a build's first calls), and again every
   * `everyMs` (a day) for as long as it runs: gc does it too, but runs only
   * once the store outgrows its limit, and the log would grow without one,
   * ~65 bytes a call, in a daemon that builds keep alive for months. The
   * marks of evicted manifests (Store.forgetEvicted) go at the same age.
   * Nothing else needs the lines' range, so no lock is taken.
   */
  trimAuditLater(delayMs = 30_000, everyMs = 864e5): void {
    if (!Number.isFinite(this.config.auditKeepMs)) return;
    setTimeout(() => {
      const before = Date.now() - this.config.auditKeepMs;
      this.store
        .trimEvents(before)
        .then((n) => n > 0 && this.s.log.debug(`audit log: ${n} lines older than ${this.config.auditKeepMs / 864e5} days removed`))
        // Under the lock ingest shares: it rewrites manifests that still hold results, and one written
        // back from its scan would drop a result a build stored meanwhile.
        .then(() => this.lock.exclusive(() => this.store.forgetEvicted(before)))
        .catch((err: unknown) => this.s.log.warn(`audit log trim failed: ${String(err)}`))
        .finally(() => this.trimAuditLater(everyMs, everyMs));
    }, delayMs).unref();
  }

  async verify(progress?: Progress): Promise<VerifyResult> {
    const r = await this.lock.exclusive(() => verifyStore(this.store, progress));
    this.s.stats.evictedEntries(r.entriesEvicted);
    this.countDamaged(r.damagedRecords);
    return r;
  }

  noteStored(bytes: number): void {
    this.storedSinceCheck += bytes;
    if (this.storedSinceCheck < this.config.maxBytes / 20) return;
    this.checkSize();
  }

  /**
   * The same check a while after the daemon starts (off a build's first calls): a store whose
   * limit was lowered since, or restored from a CI cache saved over it, stayed over its limit
   * while builds only hit (142.8 MiB of 20.0 MiB after a warm build), until max/20 new bytes
   * were stored.
   */
  checkSizeLater(delayMs = 10_000): void {
    setTimeout(() => this.checkSize(), delayMs).unref();
  }

  /** Gc when the store has outgrown its limit; one that evicts an entry used within the hour says the limit is too small. */
  private checkSize(): void {
    if (this.checking) return;
    this.checking = true;
    this.storedSinceCheck = 0;
    void this.sizeOnDisk()
      .then(async (size) => {
        if (size <= this.config.maxBytes) return;
        const r = await this.gc({});
        this.s.log.debug(`auto gc: store was ${size} bytes; evicted ${r.entriesEvicted} entries, removed ${r.blobsRemoved} blobs`);
        const ago = Date.now() - r.newestEvictedUse;
        if (r.entriesEvicted > 0 && ago < RECENT_USE_MS) this.tooSmall(ago);
      })
      .catch((err: unknown) => this.s.log.warn(`auto gc failed: ${String(err)}`))
      .finally(() => (this.checking = false));
  }

  /** When tooSmall() last logged its line, and how many gc runs said it since. */
  private tooSmallLoggedAt = -Infinity;
  private tooSmallSince = 0;

  private tooSmall(agoMs: number): void {
    const code = 'SPLITCACHE_STORE_TOO_SMALL';
    this.s.stats.count('errors', code);
    const ago = agoMs < 60_000 ? `${Math.round(agoMs / 1000)} s` : `${Math.round(agoMs / 60_000)} min`;
    const line = `${code}: the store's size limit (SPLITCACHE_MAX_SIZE, ${formatBytes(this.config.maxBytes)}) made gc evict an entry used ${ago} ago: builds will miss what they stored; raise the limit`;
    // The log too hears of it once a minute at most (a soak's daemon logged it at each gc, every 10-15 s).
    this.tooSmallSince++;
    if (Date.now() - this.tooSmallLoggedAt >= 60_000) {
      this.s.log.warn(this.tooSmallSince > 1 ? `${line} (${this.tooSmallSince} gc runs did so since this was last logged)` : line);
      [this.tooSmallLoggedAt, this.tooSmallSince] = [Date.now(), 0];
    }
    this.s.showLater(code, line);
  }

  private async sizeOnDisk(): Promise<number> {
    return (await this.store.blobs.usage()).bytes;
  }

  private indexBytes(): number {
    return dirBytes(join(this.config.dir, 'index'));
  }

  /** What `splitcache stats` shows of the store's size: its blobs (a walk), its index, and the limit. */
  async usage(): Promise<StoreUsage> {
    const { blobs, bytes } = await this.store.blobs.usage();
    return { blobs, blobBytes: bytes, indexBytes: this.indexBytes(), maxBytes: this.config.maxBytes };
  }
}

/** The bytes of a directory's files (not recursive: LevelDB keeps its files flat). */
function dirBytes(dir: string): number {
  let n = 0;
  try {
    for (const name of readdirSync(dir)) n += statSync(join(dir, name), { throwIfNoEntry: false })?.size ?? 0;
  } catch {
    /* no index yet */
  }
  return n;
}
