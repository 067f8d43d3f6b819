import type { Store } from '@splitcache/store';

/**
 * Records when entries were last hit, which drives gc's LRU eviction. A
 * minute's precision is plenty, and saves a write per hit. One write at a
 * time, of every entry hit since the last began: each LevelDB write holds a
 * thread of node's pool until it ends, and on a store whose file system hangs
 * it never ends. A write per hit filled the pool (four threads), and every
 * call's own file work waited behind it, for the whole hang
 * (cli/test/storeHung.test.ts).
 */
export class LastHits {
  private readonly touched = new Map<string, number>();
  private readonly due = new Set<string>();
  private writing = false;

  constructor(private readonly store: Store) {}

  hit(entryKey: string): void {
    const now = Date.now();
    if (now - (this.touched.get(entryKey) ?? 0) < 60_000) return;
    if (this.touched.size > 100_000) this.touched.clear();
    this.touched.set(entryKey, now);
    this.due.add(entryKey);
    this.write();
  }

  private write(): void {
    if (this.writing || this.due.size === 0) return;
    const keys = [...this.due];
    this.due.clear();
    this.writing = true;
    void this.store
      .touchAll(keys)
      .catch(() => undefined)
      .finally(() => {
        this.writing = false;
        this.write();
      });
  }
}
