import { copyFileSync, fstatSync, ftruncateSync, statSync } from 'node:fs';

/** daemon.log is let grow to this, then its lines move to daemon.log.1 (the one before is replaced). */
export const LOG_MAX_BYTES = 16 * 1024 * 1024;

/**
 * Keeps daemon.log within a bound. The daemon's stderr is that file, opened
 * for appending by whoever started it; nothing else ever shortens it, and a
 * store outlives its daemons (under SPLITCACHE_LOG=debug, ~500 bytes a call).
 * Past the bound its lines are copied to `<log>.1` and the file is truncated
 * in place: every writer appends, so the next line lands at its new start.
 * stderr writes to a file are synchronous, so no line of this daemon's falls
 * between the copy and the truncation. A stderr that is not that file (a
 * pipe, a terminal, a daemon started by hand) is left alone.
 */
export class LogRotation {
  private sinceCheck = 0;

  constructor(private readonly path: string, private readonly maxBytes = LOG_MAX_BYTES, private readonly fd = 2) {}

  /** After each line written, its size in bytes: the file is looked at once per sixteenth of the bound written. */
  wrote(bytes: number): void {
    this.sinceCheck += bytes;
    if (this.sinceCheck < this.maxBytes / 16) return;
    this.sinceCheck = 0;
    this.check();
  }

  /** Moves the lines aside if the file is past its bound (also at start: a store's log from daemons before). */
  check(): void {
    try {
      const st = fstatSync(this.fd);
      if (!st.isFile() || st.size <= this.maxBytes) return;
      const named = statSync(this.path, { throwIfNoEntry: false });
      if (!named || named.ino !== st.ino || named.dev !== st.dev) return;
      copyFileSync(this.path, `${this.path}.1`);
      ftruncateSync(this.fd, 0);
    } catch {
      // A full disk, say: the log stays as it is, and is looked at again later.
    }
  }
}
