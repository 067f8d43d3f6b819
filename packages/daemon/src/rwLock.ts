/**
 * A small async readers-writer lock. Replays and ingests share it; gc and
 * verify take it alone, so eviction never removes a blob being read or one an
 * ingest has written but not yet committed. A waiting writer blocks new
 * readers, so maintenance can't starve under a busy build. Ownership is
 * handed over inside `release`, so nobody can slip in between.
 */
export class RwLock {
  private readers = 0;
  private writer = false;
  private readonly waitingWriters: (() => void)[] = [];
  private waitingReaders: (() => void)[] = [];

  async shared<T>(fn: () => Promise<T>): Promise<T> {
    if (this.writer || this.waitingWriters.length > 0) await new Promise<void>((r) => this.waitingReaders.push(r));
    else this.readers++;
    try {
      return await fn();
    } finally {
      this.readers--;
      this.release();
    }
  }

  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.writer || this.readers > 0) await new Promise<void>((r) => this.waitingWriters.push(r));
    else this.writer = true;
    try {
      return await fn();
    } finally {
      this.writer = false;
      this.release();
    }
  }

  private release(): void {
    if (this.writer || this.readers > 0) return;
    const w = this.waitingWriters.shift();
    if (w) {
      this.writer = true;
      w();
      return;
    }
    const rs = this.waitingReaders;
    this.waitingReaders = [];
    this.readers += rs.length;
    rs.forEach((r) => r());
  }
}
