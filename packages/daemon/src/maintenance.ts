import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { collectGarbage, verifyStore, type GcResult, type Progress, type Store, type VerifyResult } from '@splitcache/store';
import type { DaemonConfig } from './config.js';
import type { Logger } from './log.js';
import { RwLock } from './rwLock.js';

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
 * and the store has outgrown max-size.
 */
export class Maintenance {
  readonly lock = new RwLock();
  private storedSinceCheck = 0;
  private checking = false;

  constructor(private readonly store: Store, private readonly config: DaemonConfig, private readonly log: Logger) {}

  gc(opts: { maxBytes?: number; olderThan?: number }, progress?: Progress): Promise<GcResult> {
    const { auditKeepMs } = this.config;
    return this.lock.exclusive(() => collectGarbage(this.store, { maxBytes: opts.maxBytes ?? this.config.maxBytes, olderThan: opts.olderThan, auditKeepMs }, progress));
  }

  /**
   * Removes the audit log's lines older than SPLITCACHE_AUDIT_DAYS, a while
   * after the daemon starts (off a build's first calls), and again every
   * `everyMs` (a day) for as long as it runs: gc does it too, but runs only
   * once the store outgrows its limit, and the log would grow without one,
   * ~65 bytes a call, in a daemon that builds keep alive for months. Nothing
   * else needs the lines' range, so no lock is taken.
   */
  trimAuditLater(delayMs = 30_000, everyMs = 864e5): void {
    if (!Number.isFinite(this.config.auditKeepMs)) return;
    setTimeout(() => {
      this.store
        .trimEvents(Date.now() - this.config.auditKeepMs)
        .then((n) => n > 0 && this.log.debug(`audit log: ${n} lines older than ${this.config.auditKeepMs / 864e5} days removed`))
        .catch((err: unknown) => this.log.warn(`audit log trim failed: ${String(err)}`))
        .finally(() => this.trimAuditLater(everyMs, everyMs));
    }, delayMs).unref();
  }

  verify(progress?: Progress): Promise<VerifyResult> {
    return this.lock.exclusive(() => verifyStore(this.store, progress));
  }

  noteStored(bytes: number): void {
    this.storedSinceCheck += bytes;
    if (this.checking || this.storedSinceCheck < this.config.maxBytes / 20) return;
    this.checking = true;
    this.storedSinceCheck = 0;
    void this.sizeOnDisk()
      .then(async (size) => {
        if (size <= this.config.maxBytes) return;
        const r = await this.gc({});
        this.log.debug(`auto gc: store was ${size} bytes; evicted ${r.entriesEvicted} entries, removed ${r.blobsRemoved} blobs`);
      })
      .catch((err: unknown) => this.log.warn(`auto gc failed: ${String(err)}`))
      .finally(() => (this.checking = false));
  }

  private async sizeOnDisk(): Promise<number> {
    return (await this.store.blobs.usage()).bytes;
  }

  /** What `splitcache stats` shows of the store's size: its blobs (a walk), its index, and the limit. */
  async usage(): Promise<StoreUsage> {
    const { blobs, bytes } = await this.store.blobs.usage();
    return { blobs, blobBytes: bytes, indexBytes: dirBytes(join(this.config.dir, 'index')), maxBytes: this.config.maxBytes };
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
