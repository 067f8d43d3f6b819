import { oneLine, SplitcacheError } from '@splitcache/errors';
import { inChain } from '@splitcache/store';
import { isIndexFull } from './indexFull.js';
import type { Logger } from './log.js';
import type { StatsKeeper } from './stats.js';

/**
 * The cache faults a build is told about: each is counted and logged, and
 * shown as one line at most once a minute per error code (a full disk is
 * reported once, not once per crate). A line that arose where no reply was
 * going out (an ingest after the call ended) waits, and rides on the next
 * reply any client gets.
 */
export class FaultLines {
  /** When a line for each error code was last shown to a build. */
  private readonly lastShown = new Map<string, number>();
  private undelivered: string | undefined;

  constructor(private readonly s: { stats: StatsKeeper; log: Logger; onCorruptIndex?: () => void; onIndexFull?: () => void }) {}

  /**
   * Counts and logs a fault; the line to show the user now, if one is due.
   * `after`: what the fault costs the call, said at the line's end. A fault
   * in a lookup costs it the cache (it compiles); one in storing a result it
   * already compiled costs only the store.
   */
  fault(err: unknown, after = 'building uncached'): string | undefined {
    const code = this.seeTo(err);
    this.s.stats.count('errors', code);
    // Every line leads with a SPLITCACHE_* code: LevelDB's or node's own (`LEVEL_CORRUPTION: …`, a
    // TypeError's `ERROR: …`) follows it.
    const line = err instanceof SplitcacheError ? oneLine(err) : `${code}: ${oneLine(err)}`;
    this.s.log.warn(line);
    return this.dueToShow(code) ? `splitcache: ${line} (${after})` : undefined;
  }

  /**
   * A maintenance request's failure (`gc`, `audit verify`), as its reply's line: LevelDB's own
   * errors lead with a SPLITCACHE_* code too (`gc` on an index full for good printed a bare
   * `LEVEL_IO_ERROR: …`), and a damaged or full index is seen to as a call's fault would be.
   */
  requestLine(err: unknown): string {
    const code = this.seeTo(err);
    return err instanceof SplitcacheError || !inChain(err, (e) => typeof e.code === 'string' && e.code.startsWith('LEVEL_')) ? oneLine(err) : `${code}: ${oneLine(err)}`;
  }

  /** Sets off the repair or the restart a damaged or full index asks for; the fault's code. */
  private seeTo(err: unknown): string {
    const corrupt = isIndexCorruption(err);
    const full = isIndexFull(err);
    if (corrupt) this.s.onCorruptIndex?.();
    if (full) this.s.onIndexFull?.();
    if (err instanceof SplitcacheError) return err.code;
    return corrupt ? 'SPLITCACHE_STORE_CORRUPT' : full ? 'SPLITCACHE_STORE_FULL' : 'SPLITCACHE_STORE_IO';
  }

  /** As fault(), for a line with no reply of its own: kept for the next one (the first such line wins). */
  faultLater(err: unknown, after?: string): void {
    // Counted, logged and seen to (a damaged index repaired) whatever line waits already: with
    // `??=`, one that came while another waited was neither (a review's finding).
    const line = this.fault(err, after);
    this.undelivered ??= line;
  }

  /** A line already counted, from work no call waits on: kept for the next reply, if its code is due; in place of one kept already whose code starts with `over`. */
  later(code: string, line: string, over?: string): void {
    const replaces = this.undelivered === undefined || (over !== undefined && this.undelivered.startsWith(`splitcache: ${over}`));
    if (replaces && this.dueToShow(code)) this.undelivered = `splitcache: ${line}`;
  }

  /** A line kept by faultLater or later and not yet shown. */
  take(): string | undefined {
    const w = this.undelivered;
    this.undelivered = undefined;
    return w;
  }

  /** Whether a line with this error code is to be shown now: at most once a minute per code, so each build sees it once. */
  dueToShow(code: string): boolean {
    const now = Date.now();
    if ((this.lastShown.get(code) ?? 0) > now - 60_000) return false;
    this.lastShown.set(code, now);
    return true;
  }
}

/**
 * LevelDB's word that a table is damaged: LEVEL_CORRUPTION, or an IO error on a table file that is
 * no full disk and no refused access (a table cut short reads as `….ldb: Invalid argument`).
 */
function isIndexCorruption(err: unknown): boolean {
  return inChain(err, (e) => e.code === 'LEVEL_CORRUPTION' || (e.code === 'LEVEL_IO_ERROR' && /\.(ldb|sst): /.test(e.message ?? '') && !/No space|Permission denied|Read-only|quota/i.test(e.message ?? '')));
}

