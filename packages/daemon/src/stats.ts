import type { Store } from '@splitcache/store';

export interface TypeCounts {
  hits: number;
  misses: number;
  passthrough: number;
}

/** Counters kept by the daemon and persisted in the index, so they survive restarts. */
export interface Stats {
  hits: number;
  misses: number;
  /** Compiles that failed (rustc's own errors): replayed to the user, never cached. */
  compileErrors: number;
  /** Misses whose result could not be stored, by reason. */
  notStored: Record<string, number>;
  passthrough: Record<string, number>;
  /** Cache faults by SPLITCACHE_* code: each cost time, never a build. */
  errors: Record<string, number>;
  /**
   * The remote tier: hits, misses, skipped (breaker open), uploads (entries
   * that sent something), alreadyPublished (entries the server had whole),
   * uploadedBlobs, uploadedBytes, downloadedBytes, dropped (queue items that
   * could never be uploaded).
   */
  remote: Record<string, number>;
  byType: Record<string, TypeCounts>;
  bytesRestored: number;
  bytesStored: number;
  timeSavedMs: number;
  /** Entries evicted from the store: by gc (its size limit, auto or `splitcache gc`) and by verify. */
  evicted: number;
  /** When `splitcache stats --zero` last reset the counters (ms since the epoch); absent if never. */
  zeroedAt?: number;
}

export function emptyStats(): Stats {
  return {
    hits: 0, misses: 0, compileErrors: 0, notStored: {}, passthrough: {}, errors: {}, remote: {}, byType: {},
    bytesRestored: 0, bytesStored: 0, timeSavedMs: 0, evicted: 0,
  };
}

const STATS_KEY = 'stats';

/** Aggregates in memory; flushed to the index at most once a second and at shutdown. */
export class StatsKeeper {
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  /** The write under way, until it ends. */
  private writing: Promise<void> | undefined;
  private constructor(private readonly store: Store, readonly stats: Stats) {}

  static async load(store: Store): Promise<StatsKeeper> {
    const saved = await store.getMeta<Stats>(STATS_KEY).catch(() => undefined);
    return new StatsKeeper(store, { ...emptyStats(), ...(saved ?? {}) });
  }

  private type(label: string): TypeCounts {
    return (this.stats.byType[label] ??= { hits: 0, misses: 0, passthrough: 0 });
  }

  hit(label: string, bytes: number, savedMs: number): void {
    this.stats.hits++;
    this.type(label).hits++;
    this.stats.bytesRestored += bytes;
    this.stats.timeSavedMs += Math.max(0, savedMs);
    this.touch();
  }

  miss(label: string): void {
    this.stats.misses++;
    this.type(label).misses++;
    this.touch();
  }

  passthrough(reason: string, label?: string): void {
    bump(this.stats.passthrough, reason);
    if (label) this.type(label).passthrough++;
    this.touch();
  }

  count(field: 'notStored' | 'errors' | 'remote', key: string, n = 1): void {
    bump(this.stats[field], key, n);
    this.touch();
  }

  compileError(): void {
    this.stats.compileErrors++;
    this.touch();
  }

  stored(bytes: number): void {
    this.stats.bytesStored += bytes;
    this.touch();
  }

  evictedEntries(n: number): void {
    if (n === 0) return;
    this.stats.evicted += n;
    this.touch();
  }

  /**
   * Sets every counter back to zero (`splitcache stats --zero`, as ccache's -z or
   * sccache's --zero-stats), and writes that at once. The audit log is kept, so
   * `stats --session`/`--since` still count what came before.
   */
  async zero(): Promise<void> {
    Object.assign(this.stats, emptyStats(), { zeroedAt: Date.now() });
    this.dirty = true;
    await this.flush();
  }

  private touch(): void {
    this.dirty = true;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, 1000);
  }

  /**
   * Writes the counts, once the write under way (if one is) has ended: one at
   * a time, as each holds a thread of node's pool until it ends, and on a
   * store whose file system hangs it never does (lastHits.ts says what a
   * write each second did then).
   */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.writing) await this.writing;
    if (!this.dirty) return;
    this.dirty = false;
    const w = this.store.putMeta(STATS_KEY, this.stats).catch(() => {
      this.dirty = true;
    });
    this.writing = w;
    await w;
    if (this.writing === w) this.writing = undefined;
  }
}

function bump(rec: Record<string, number>, key: string, n = 1): void {
  rec[key] = (rec[key] ?? 0) + n;
}
