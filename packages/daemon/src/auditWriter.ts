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
  /** Lines of failed writes, written again with the next batch (write()). */
  private kept: AuditEvent[] = [];
  private retryAt = 0;

  constructor(private readonly store: Store) {}

  add(e: Omit<AuditEvent, 'time'>): void {
    this.pending.push({ time: Date.now(), ...e });
    this.timer ??= setTimeout(() => void this.flush(), 100);
  }

  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending.splice(0);
    if (batch.length) {
      this.writing.add(batch);
      this.written = this.written.then(() => this.write(batch)).finally(() => this.writing.delete(batch));
    }
    return this.written;
  }

  /**
   * Writes a batch, with the lines of failed writes before it (in their places: the log is keyed
   * by time). A write that fails (a full disk) keeps its lines, the last MAX_HELD, and meanwhile
   * readers get them (held()); the kept lines are tried again at most every RETRY_MS, the batches
   * between only added to them: an index that failed a write for a full disk takes none until it
   * is opened again (indexFull.ts), and packing 20,000 lines for each 100 ms batch cost the loop
   * up to 0.2 s each time (a review helper). Before, they were dropped, and with them the summary
   * line of every build on a full disk, which is made of them (hunting helper: builds said nothing
   * of splitcache at all; `stats` counted 15 hits, `audit` showed 10). Lines still kept when the
   * daemon ends are lost.
   */
  private async write(batch: AuditEvent[]): Promise<void> {
    const lines = this.kept.length > 0 ? [...this.kept, ...batch] : batch;
    if (this.kept.length > 0 && Date.now() < this.retryAt) {
      this.kept = lines.slice(-MAX_HELD);
      return;
    }
    try {
      await this.store.appendEvents(lines);
      this.kept = [];
    } catch {
      this.kept = lines.slice(-MAX_HELD);
      this.retryAt = Date.now() + RETRY_MS;
    }
  }

  /** The lines not known to be written yet, oldest first: what a reader gets of them while the store's file system hangs. */
  unwritten(): AuditEvent[] {
    return [...this.kept, ...[...this.writing].flat(), ...this.pending];
  }

  /** The lines whose write failed, kept for the next one: a reader of the log gets them after it. */
  held(): readonly AuditEvent[] {
    return this.kept;
  }
}

/** The most lines kept from failed writes: ~200 bytes each, and a build's summary needs its own only. */
const MAX_HELD = 5_000;
/** How often kept lines are tried again. */
const RETRY_MS = 5_000;
