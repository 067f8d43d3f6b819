import type { AuditEvent, Store } from '@splitcache/store';

/**
 * The audit log's writer: lines are kept in memory and written in one batch
 * every 100 ms (one LevelDB write per rustc call otherwise). `flush()` before
 * anything reads the log.
 */
export class AuditWriter {
  private readonly pending: AuditEvent[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly store: Store) {}

  add(e: Omit<AuditEvent, 'time'>): void {
    this.pending.push({ time: Date.now(), ...e });
    this.timer ??= setTimeout(() => void this.flush(), 100);
  }

  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending.splice(0);
    if (batch.length) await this.store.appendEvents(batch).catch(() => undefined);
  }
}
