import { oneLine, SplitcacheError } from '@splitcache/errors';
import type { Digest } from '@splitcache/hash';
import type { RemoteCache } from '@splitcache/remote';
import type { Store } from '@splitcache/store';
import type { Logger } from './log.js';
import { eachLimit } from './eachLimit.js';
import type { StatsKeeper } from './stats.js';

/** One queued upload (`q!<entry key>` in the index): what the input set record needs besides the entry. */
export interface QueueItem {
  manifestKey: Digest;
  crateName: string;
  /** The entry's normalised dep-info paths and env-dep names, in order. */
  inputs: string[];
  envDeps: string[];
  queuedAt: number;
  /** Failed attempts with an HTTP error; the item is dropped after MAX_TRIES. */
  tries?: number;
}

export type DrainOutcome = 'empty' | 'failing' | 'timeout' | 'stopped';

const MAX_TRIES = 3;
const RETRY_MS = 5_000;
const BATCH = 16;
const BLOB_CONCURRENCY = 4;

/**
 * The daemon's upload queue. `done` enqueues a stored entry (one LevelDB
 * put; the build never waits for the network) and a background worker
 * publishes it: every blob the server lacks (HEAD first), then the entry
 * record, then the manifest key's input set, in that order, so nothing is
 * reachable on the server before what it points to. The queue lives in the
 * index, so a daemon restart resumes it; `flush` drains it before exit.
 */
export class UploadQueue {
  private pumping: Promise<DrainOutcome> | undefined;
  private again = false;
  private stopped = false;
  private deadline: number | undefined;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly cache: RemoteCache,
    private readonly s: { store: Store; stats: StatsKeeper; log: Logger },
  ) {}

  async enqueue(entryKey: Digest, item: Omit<QueueItem, 'queuedAt'>): Promise<void> {
    try {
      await this.s.store.putQueued(entryKey, { ...item, queuedAt: Date.now() });
      this.kick();
    } catch (err) {
      this.s.log.warn(`upload queue: ${oneLine(err)}`);
    }
  }

  /** Starts the worker if it isn't running (and makes a running one look again when it is done). */
  kick(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = this.pump().finally(() => (this.pumping = undefined));
  }

  /**
   * Uploads what is queued, for at most `timeoutMs`. Gives up at once when
   * the remote is failing (the queue is kept for the next daemon).
   */
  async flush(timeoutMs: number): Promise<{ outcome: DrainOutcome; left: number }> {
    this.deadline = Date.now() + timeoutMs;
    // A remote that failed earlier may be back: one probe now, rather than leaving the queue
    // to a next daemon that an ephemeral CI runner never starts. A failed probe ends the flush.
    this.cache.http.breaker.probeNow();
    let outcome: DrainOutcome = 'empty';
    let timer: NodeJS.Timeout | undefined;
    // The drain checks the deadline between items; this bounds the item in hand too.
    const late = new Promise<DrainOutcome>((res) => (timer = setTimeout(() => res('timeout'), timeoutMs)));
    try {
      for (;;) {
        if (!this.pumping) this.kick();
        outcome = (await Promise.race([this.pumping ?? 'stopped', late])) as DrainOutcome;
        // The probe went through and closed the breaker, but the requests beside it were refused
        // while it was out: the queue is drained again (an item fails for good after 3 tries).
        if (outcome === 'failing' && !this.cache.http.breaker.isOpen) continue;
        if (outcome !== 'empty' || (await this.s.store.queued(1)).length === 0) break;
      }
    } finally {
      clearTimeout(timer);
      this.deadline = undefined;
    }
    return { outcome, left: (await this.s.store.queued(1000)).length };
  }

  /** Stops the worker after the item in hand; what is left stays queued. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.pumping;
  }

  private async pump(): Promise<DrainOutcome> {
    let outcome: DrainOutcome;
    do {
      this.again = false;
      outcome = await this.drain();
    } while (this.again && outcome === 'empty' && !this.stopped);
    if (outcome === 'failing' && this.deadline === undefined && !this.stopped) {
      if (this.retryTimer) clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => this.kick(), Math.max(RETRY_MS, this.cache.http.breaker.retryInMs));
      this.retryTimer.unref();
    }
    return outcome;
  }

  private async drain(): Promise<DrainOutcome> {
    for (;;) {
      const batch = await this.s.store.queued<QueueItem>(BATCH);
      if (batch.length === 0) return 'empty';
      for (const [entryKey, item] of batch) {
        if (this.stopped) return 'stopped';
        if (this.deadline !== undefined && Date.now() > this.deadline) return 'timeout';
        if (!(await this.uploadOne(entryKey, item))) return 'failing';
      }
    }
  }

  /** Publishes one item; false when the remote is failing (the item stays queued). */
  private async uploadOne(entryKey: Digest, item: QueueItem): Promise<boolean> {
    const { store, stats } = this.s;
    try {
      const sent = await this.publish(entryKey, item);
      await store.deleteQueued(entryKey);
      // Counted as an upload only if something went up: another runner may have published it all.
      stats.count('remote', sent ? 'uploads' : 'alreadyPublished');
      return true;
    } catch (err) {
      const code = err instanceof SplitcacheError ? err.code : 'SPLITCACHE_STORE_IO';
      if (code === 'SPLITCACHE_REMOTE_BREAKER_OPEN') return false;
      stats.count('errors', code);
      const transient = code === 'SPLITCACHE_REMOTE_TIMEOUT' || code === 'SPLITCACHE_REMOTE_HTTP';
      const tries = (item.tries ?? 0) + 1;
      if (transient && tries < MAX_TRIES) {
        await store.putQueued(entryKey, { ...item, tries }).catch(() => undefined);
        return false;
      }
      // A refused token, an entry gc'd meanwhile, a server that keeps refusing it: never uploadable.
      this.s.log.warn(`upload of ${entryKey} dropped: ${oneLine(err)}`);
      stats.count('remote', 'dropped');
      await store.deleteQueued(entryKey).catch(() => undefined);
      return code !== 'SPLITCACHE_REMOTE_TIMEOUT';
    }
  }

  /** Publishes what the server lacks of one entry; whether anything was sent. */
  private async publish(entryKey: Digest, item: QueueItem): Promise<boolean> {
    const { store, stats } = this.s;
    let sent = false;
    const entry = await store.getEntry(entryKey);
    if (!entry) throw new SplitcacheError('SPLITCACHE_BLOB_MISSING', `entry ${entryKey} is no longer in the local store`);
    const digests = [...new Set(entry.outputs.map((o) => o.digest))];
    // Every blob is checked even when the entry is already there: the server may have evicted one.
    await eachLimit(digests, BLOB_CONCURRENCY, async (d) => {
      if (await this.cache.hasBlob(d)) return;
      const bytes = await this.cache.putBlob(d, await store.blobs.read(d));
      sent = true;
      stats.count('remote', 'uploadedBlobs');
      stats.count('remote', 'uploadedBytes', bytes);
    });
    // A record this daemon would read stays (the first writer's); one it would refuse (another
    // signing key's, a keyless writer's where this one signs) is replaced, or readers with this
    // key would miss it for good. The record blob is this store's own recovery copy; it doesn't travel.
    const { recordDigest: _local, ...shared } = entry;
    if (!(await this.cache.hasGoodRecord('entry', entryKey))) {
      await this.cache.putEntry(entryKey, shared);
      sent = true;
    }
    if (!(await this.cache.hasGoodRecord('inputs', item.manifestKey))) {
      await this.cache.putInputSet({ key: item.manifestKey, crateName: item.crateName, inputs: item.inputs, envDeps: item.envDeps });
      sent = true;
    }
    return sent;
  }
}
