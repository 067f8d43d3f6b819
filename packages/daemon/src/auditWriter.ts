import type { AuditEvent, Store } from '@splitcache/store';

/**
 * The audit log's writer: lines are kept in memory and written in one batch
 * every 100 ms (one LevelDB write per rustc call otherwise). `flush()` before
 * anything reads the log: it resolves once every line added before it is
 * written, including those of a write already under way (the timer's), which a
 * flush that found nothing left to write once did not wait for.
 */
export class AuditWriter {
  private readonly pending: AuditEvent[] = [];
  /** The batches being written, until they are. */
  private readonly writing = new Set<AuditEvent[]>();
  private timer: NodeJS.Timeout | undefined;
  /** The last batch's write (writes go one after another, so lines keep their order); never rejects. */
  private written: Promise<void> = Promise.resolve();

  constructor(private readonly store: Store) {}

  add(e: Omit<AuditEvent, 'time'>): void {
    this.pending.push({ time: Date.now(), ...e });
    this.timer ??= setTimeout(() => void this.flush(), 100);
  }

  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending.splice(0);
    // A failed write (a full disk) loses its lines: the audit log is a record, not a store entry.
    if (batch.length) {
      this.writing.add(batch);
      this.written = this.written.then(() => this.store.appendEvents(batch)).catch(() => undefined).finally(() => this.writing.delete(batch));
    }
    return this.written;
  }

  /** The lines not known to be written yet, oldest first: what a reader gets of them while the store's file system hangs. */
  unwritten(): AuditEvent[] {
    return [...[...this.writing].flat(), ...this.pending];
  }
}
