import { oneLine, SplitcacheError } from '@splitcache/errors';
import type { Digest } from '@splitcache/hash';
import type { RemoteCache } from '@splitcache/remote';
import type { EntryRecord, Store } from '@splitcache/store';
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
  /** Failures counted against this item (each in a pass that took other uploads); dropped at MAX_TRIES. */
  tries?: number;
  /**
   * Its blobs are sent even where the server has one (a SPLITCACHE_RECACHE build's): a copy
   * damaged on the server's disk answers its HEAD, and readers refused it for good.
   */
  resend?: boolean;
}

export type DrainOutcome = 'empty' | 'failing' | 'timeout' | 'stopped';

/** How one upload went: sent, dropped for good, failed (it stays queued), or refused by the open breaker. */
type Attempt = 'sent' | 'dropped' | 'failed' | 'refused';

/** Failures of one item, each in a pass the remote was seen working through, before the item is dropped. */
const MAX_TRIES = 3;
const RETRY_MS = 5_000;
/** The retry after failing passes doubles up to 2^6 × 5 s, about 5 minutes. */
const MAX_BACKOFF_DOUBLINGS = 6;
const BATCH = 16;
/** Uploads in a row the server refused, none taken between, that show it refuses every write. */
const REFUSING_AFTER = 3;
const BLOB_CONCURRENCY = 4;

/**
 * The daemon's upload queue. `done` enqueues a stored entry (one LevelDB
 * put; the build never waits for the network) and a background worker
 * publishes it: every blob the server lacks (HEAD first), then the entry
 * record, then the manifest key's input set, in that order, so nothing is
 * reachable on the server before what it points to. The queue lives in the
 * index, so a daemon restart resumes it; `flush` drains it before exit.
 *
 * An outage costs no item anything: a failed upload counts against its item
 * only in a pass that took other uploads and ended with the breaker closed,
 * which shows the fault is the item's (a server that refuses that one entry:
 * a body over its size limit). Such an item is passed over, so it holds up
 * nothing behind it, and is dropped at its third counted failure.
 */
export class UploadQueue {
  private pumping: Promise<DrainOutcome> | undefined;
  private again = false;
  private stopped = false;
  private deadline: number | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Passes in a row that ended 'failing'. */
  private failingPasses = 0;
  /** The latest fault that left an item queued, for `server stop` to say why uploads are left. */
  private lastFault: string | undefined;
  /** Uploads in a row the server answered and did not take, across passes; 0 after one it took. */
  private failedInRow = 0;

  constructor(
    private readonly cache: RemoteCache,
    private readonly s: {
      store: Store;
      stats: StatsKeeper;
      log: Logger;
      showLater?: (code: string, line: string) => void;
      /** An index fault with no call to answer (FaultLines.faultLater: counted, logged, a damaged index repaired). */
      faultLater?: (err: unknown, after: string) => void;
    },
    /** The input sets this daemon's lookups refused (RemoteTier): each is replaced, once. */
    private readonly refusals?: { refused(manifestKey: Digest): boolean; replaced(manifestKey: Digest): void },
  ) {}

  /** `name`: the call's, as fault lines name it (missStores.ts callName: `serde's build script`, not its crate's `build_script_build`). */
  async enqueue(entryKey: Digest, item: Omit<QueueItem, 'queuedAt'>, name = item.crateName): Promise<void> {
    try {
      await this.s.store.putQueued(entryKey, { ...item, queuedAt: Date.now() });
      // While the queue waits out a server that refuses every write (below), a new item waits with it.
      if (this.retryTimer && this.refusing()) return;
      this.kick();
    } catch (err) {
      // The entry is stored; its upload is what is lost: told, and a damaged index seen to, as a
      // fault of the queue's own read (indexFault). Logged alone, nothing told the build.
      if (this.s.faultLater) this.s.faultLater(err, `the upload of ${name} is not queued; its result is stored`);
      else this.s.log.warn(`upload queue: ${oneLine(err)}`);
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
  async flush(timeoutMs: number): Promise<{ outcome: DrainOutcome; left: number; why?: string }> {
    this.deadline = Date.now() + timeoutMs;
    // A remote that failed earlier may be back: one probe now, rather than leaving the queue
    // to a next daemon that an ephemeral CI runner never starts. A failed probe ends the flush.
    let outcome: DrainOutcome = 'empty';
    let timer: NodeJS.Timeout | undefined;
    // The drain checks the deadline between items; this bounds the item in hand too.
    const late = new Promise<DrainOutcome>((res) => (timer = setTimeout(() => res('timeout'), timeoutMs)));
    // Before the probe: whether requests of the first pass may be refused beside it.
    let secondPass = this.cache.http.breaker.isOpen;
    this.cache.http.breaker.probeNow();
    try {
      for (;;) {
        if (!this.pumping) this.kick();
        outcome = (await Promise.race([this.pumping ?? 'stopped', late])) as DrainOutcome;
        // The probe went through and closed the breaker, but the requests beside it were refused
        // while it was out: the queue is drained once more. (Not after a pass that began with the
        // breaker closed: what it left, the server refused with the breaker closed.)
        if (outcome === 'failing' && !this.cache.http.breaker.isOpen && secondPass) {
          secondPass = false;
          continue;
        }
        if (outcome !== 'empty' || (await this.s.store.queued(1)).length === 0) break;
      }
    } finally {
      clearTimeout(timer);
      this.deadline = undefined;
    }
    const left = (await this.s.store.queued(1000)).length;
    if (left === 0) return { outcome, left };
    // Why they are left: a flush that ran out of time, else the fault that kept the last of them.
    const why = outcome === 'timeout' ? `SPLITCACHE_REMOTE_FLUSH_TIMEOUT (${timeoutMs / 1000} s) ran out` : this.cache.http.breaker.isOpen && this.cache.http.breaker.lastCause ? oneLine(this.cache.http.breaker.lastCause) : this.lastFault;
    return { outcome, left, ...(why ? { why } : {}) };
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
      outcome = await this.drain().catch((err: unknown) => this.indexFault(err));
      // Items queued meanwhile get their pass now, unless the remote is down.
    } while (this.again && !this.stopped && (outcome === 'empty' || (outcome === 'failing' && !this.cache.http.breaker.isOpen && !this.refusing())));
    this.failingPasses = outcome === 'failing' ? this.failingPasses + 1 : 0;
    if (outcome === 'failing' && this.deadline === undefined && !this.stopped) {
      if (this.retryTimer) clearTimeout(this.retryTimer);
      // Doubled per failing pass: an item the server refuses, alone in the queue, keeps the
      // breaker closed (the HEADs beside its PUT succeed), and is never dropped.
      const backoff = RETRY_MS * 2 ** Math.min(this.failingPasses - 1, MAX_BACKOFF_DOUBLINGS);
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.kick();
      }, Math.max(backoff, this.cache.http.breaker.retryInMs));
      this.retryTimer.unref();
    }
    return outcome;
  }

  /**
   * A pass that the index failed (reading the queue, or dropping an item from it): the items stay
   * queued, for the retry. Nothing caught it, and the unhandled rejection ended the daemon, on
   * every start with the queue's keys unreadable (a review helper's repro).
   */
  private indexFault(err: unknown): DrainOutcome {
    this.lastFault = `the upload queue could not be read: ${oneLine(err)}`;
    if (this.s.faultLater) this.s.faultLater(err, 'the uploads stay queued');
    else this.s.log.warn(this.lastFault);
    return 'failing';
  }

  /**
   * One pass over the queue, in key order. Ends at once when the breaker
   * opens (the remote is down: the rest waits for the retry); an item that
   * failed with the breaker still closed is passed over. Its failure counts
   * against it only if the pass ends with the remote up and having taken
   * other uploads: otherwise the remote may be at fault.
   */
  private async drain(): Promise<DrainOutcome> {
    const failed: [Digest, QueueItem][] = [];
    let taken = 0;
    let after: Digest | undefined;
    for (;;) {
      const batch = await this.s.store.queued<QueueItem>(BATCH, after);
      if (batch.length === 0) break;
      for (const [entryKey, item] of batch) {
        if (this.stopped) return 'stopped';
        if (this.deadline !== undefined && Date.now() > this.deadline) return 'timeout';
        after = entryKey;
        const attempt = await this.uploadOne(entryKey, item);
        if (attempt === 'refused') return 'failing';
        if (attempt === 'sent') {
          taken++;
          this.failedInRow = 0;
        } else if (attempt === 'dropped') continue;
        else if (this.cache.http.breaker.isOpen) return 'failing';
        else {
          failed.push([entryKey, item]);
          this.failedInRow++;
          if (taken === 0 && this.refusing()) return 'failing';
        }
      }
    }
    if (failed.length === 0) return 'empty';
    if (taken > 0) for (const [k, i] of failed) await this.countFailure(k, i);
    return 'failing';
  }

  /**
   * Whether the server refuses every write while the breaker stays closed (a 5xx or 429 to each
   * PUT is not held against a server whose reads work: httpRemote.ts): the pass ends, as with the
   * breaker open, and the queue waits for its retry, and so do the items queued meanwhile. Each item
   * queued during a build started another pass, and each pass sent every queued blob again: 1,395
   * PUTs for a build of 30 crates (a review helper's repro).
   */
  private refusing(): boolean {
    return this.failedInRow >= REFUSING_AFTER;
  }

  /** Publishes one item; 'failed' and 'refused' leave it queued. */
  private async uploadOne(entryKey: Digest, item: QueueItem): Promise<Attempt> {
    const { store, stats } = this.s;
    try {
      const sent = await this.publish(entryKey, item);
      await store.deleteQueued(entryKey);
      // Counted as an upload only if something went up: another runner may have published it all.
      stats.count('remote', sent ? 'uploads' : 'alreadyPublished');
      return 'sent';
    } catch (err) {
      const code = err instanceof SplitcacheError ? err.code : 'SPLITCACHE_STORE_IO';
      if (code === 'SPLITCACHE_REMOTE_BREAKER_OPEN') return 'refused';
      // An entry evicted meanwhile (a `gc`, `clear`, or the daemon's own gc, with its blobs) can never go up, and
      // nothing is wrong with the store: dropped without a fault counted or told. Before, a `clear` while
      // uploads were under way said `SPLITCACHE_BLOB_MISSING: an upload to the remote was dropped` to the next build.
      if (code === 'SPLITCACHE_BLOB_MISSING' && !(await store.getEntry(entryKey).catch(() => true))) return this.dropEvicted(entryKey);
      stats.count('errors', code);
      // Kept, for when the server works or has room again; the job is told, once a minute: a server
      // that refuses every write (nginx answers a PUT into a root it may not write with 500) while
      // its HEADs work counts no failure against an item, and said nothing of it.
      // So is one whose blob can't be read this moment (SPLITCACHE_STORE_IO: out of file descriptors,
      // BlobDir.read): it was dropped, and never went up. The pass ends, as for an open breaker: the
      // fault is this machine's, not held against the server or the item (a review's point: counted
      // as the server's refusals, such items were dropped as refused). An error of no code (a fault
      // of ours) is not kept.
      if (code === 'SPLITCACHE_STORE_IO' && err instanceof SplitcacheError) {
        this.lastFault = oneLine(err);
        this.s.showLater?.(code, `${oneLine(err)}; the upload stays queued`);
        return 'refused';
      }
      if (code === 'SPLITCACHE_REMOTE_TIMEOUT' || code === 'SPLITCACHE_REMOTE_HTTP' || code === 'SPLITCACHE_REMOTE_FULL') {
        this.lastFault = oneLine(err);
        this.s.showLater?.(code, `${oneLine(err)}; the upload stays queued`);
        return 'failed';
      }
      // A refused token, an entry gc'd meanwhile: it can never go up.
      await this.drop(entryKey, err);
      return 'dropped';
    }
  }

  /** A failure shown to be the item's own: counted, and the item dropped at MAX_TRIES. */
  private async countFailure(entryKey: Digest, item: QueueItem): Promise<void> {
    const tries = (item.tries ?? 0) + 1;
    if (tries >= MAX_TRIES) return this.drop(entryKey, `the server refused it ${tries} times while taking other uploads`);
    await this.s.store.putQueued(entryKey, { ...item, tries }).catch(() => undefined);
  }

  /** An item whose entry left the local store while it was in hand: counted as dropped, said only in daemon.log (under SPLITCACHE_LOG=debug). */
  private async dropEvicted(entryKey: Digest): Promise<Attempt> {
    this.s.log.debug(`upload of ${entryKey} dropped: its entry was evicted from the local store meanwhile`);
    this.s.stats.count('remote', 'dropped');
    await this.s.store.deleteQueued(entryKey).catch(() => undefined);
    return 'dropped';
  }

  private async drop(entryKey: Digest, why: unknown): Promise<void> {
    const reason = typeof why === 'string' ? why : oneLine(why);
    this.s.log.warn(`upload of ${entryKey} dropped: ${reason}`);
    // The build that stored the entry is gone by now: the next one is told, so that a server
    // that refuses every large blob (a body size limit) or every write (a read-only token) is seen.
    const code = why instanceof SplitcacheError ? why.code : 'SPLITCACHE_REMOTE_HTTP';
    const detail = why instanceof SplitcacheError ? reason.slice(code.length + 2) : reason;
    this.s.showLater?.(code, `${code}: an upload to the remote was dropped: ${detail}`);
    this.s.stats.count('remote', 'dropped');
    await this.s.store.deleteQueued(entryKey).catch(() => undefined);
  }

  /** Whether the server has every blob `entry` names but `ours` (this store's, which this upload checked or sent). */
  private othersOnServer(entry: EntryRecord, ours: Set<Digest>): Promise<boolean> {
    return this.allOnServer(entry.outputs.map((o) => o.digest).filter((d) => !ours.has(d)));
  }

  /** Whether the server has every one of these blobs. */
  private async allOnServer(digests: Digest[]): Promise<boolean> {
    let all = true;
    await eachLimit([...new Set(digests)], BLOB_CONCURRENCY, async (d) => {
      if (all && !(await this.cache.hasBlob(d))) all = false;
    });
    return all;
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
      if (!item.resend && (await this.cache.hasBlob(d))) return;
      const bytes = await this.cache.putBlob(d, await store.blobs.read(d));
      sent = true;
      stats.count('remote', 'uploadedBlobs');
      stats.count('remote', 'uploadedBytes', bytes);
    });
    // A record this daemon would read stays (the first writer's) while every blob it names is
    // there, and no blob it shares with this entry has another size there (readers refuse it:
    // remoteTier.ts; kept, it made every reader of the crate miss for good). One it would refuse
    // (another signing key's, a keyless writer's where this one signs) is replaced, or readers with this key would miss it for good; so is one whose blobs
    // the server lost (evicted apart from the record): this entry's own blobs may differ from
    // them (debuginfo names the producer's checkout), and can't fill the holes. The record
    // blob is this store's own recovery copy; it doesn't travel.
    const { recordDigest: _local, fetched: _fetched, ...shared } = entry;
    const there = await this.cache.readableEntry(entryKey);
    const ours = new Set(digests);
    let replaced = false;
    if (!there || sizesDiffer(there, entry) || !(await this.othersOnServer(there, ours))) {
      await this.cache.putEntry(entryKey, shared);
      sent = replaced = true;
    }
    if (await this.publishInputSet(entryKey, shared, ours, item, replaced)) sent = true;
    return sent;
  }

  /**
   * Publishes the manifest key's input set with this entry inline (docs/REMOTE.md),
   * where there is none this daemon would read, or where the one there lists
   * these same paths and carries another entry inline, or an entry of this key
   * that names a blob the server lost, or this one before `replaced` put it up
   * again (its blobs were gone from the server). One that
   * lists other paths stays (the first path set is the one readers digest),
   * unless this daemon's lookups refused it (RemoteTier.refusedInputSet), and
   * a writer without a signing key never replaces a signed one: readers with
   * the key would refuse what it put there. Whether it sent anything.
   */
  private async publishInputSet(entryKey: Digest, entry: EntryRecord, ours: Set<Digest>, item: QueueItem, replaced: boolean): Promise<boolean> {
    const there = await this.cache.readableInputSet(item.manifestKey);
    if (there) {
      const { record, signed } = there;
      const refused = this.refusals?.refused(item.manifestKey) ?? false;
      if (!refused && JSON.stringify([record.inputs, record.envDeps]) !== JSON.stringify([item.inputs, item.envDeps])) return false;
      if (signed && !this.cache.signs) return false;
      // This key's entry inline, whole on the server: kept. It can be another producer's than the one
      // at the key, and lose a blob that one keeps: then it is replaced, as a lost entry is.
      if (record.entry?.key === entryKey && !replaced && !sizesDiffer(record.entry.entry, entry) && (await this.othersOnServer(record.entry.entry, ours))) return false;
    }
    await this.cache.putInputSet({ key: item.manifestKey, crateName: item.crateName, inputs: item.inputs, envDeps: item.envDeps, entry: { key: entryKey, entry } });
    this.refusals?.replaced(item.manifestKey);
    return true;
  }
}

/** Whether `there` records, for a blob `ours` has too, another size than ours. */
function sizesDiffer(there: EntryRecord, ours: EntryRecord): boolean {
  const size = new Map(ours.outputs.map((o) => [o.digest, o.size]));
  return there.outputs.some((o) => size.has(o.digest) && size.get(o.digest) !== o.size);
}
