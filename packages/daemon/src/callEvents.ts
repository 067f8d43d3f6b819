import type { AuditEvent } from '@splitcache/store';
import { AuditWriter } from './auditWriter.js';
import type { HeldHit } from './heldHits.js';
import { CACHE_VERSION } from './manifestKey.js';
import type { Services } from './services.js';

/** What a miss's audit line is made of: a pending call (compileHandler.ts) has it all. */
export interface MissFacts {
  session: string;
  inv: { crateName?: string };
  /** Its package, where its name is not the crate's (AuditEvent.pkg). */
  pkg?: string;
  crateType: string;
  key: { key: string };
  /** Why the lookup missed: new-key, evicted (the key's results were all evicted, or this one: gc), damaged (the same, by audit verify: a damaged blob), diagnostic-form, remap-covers-input (same key, a --remap-path-prefix keyed as covering nothing covers an input of each result: remapFlagKey.ts), inputs-changed (same key, a source differs), entry-gone, replay-failed, out-dir-missing, output-read-only or output-symlink (a replay unlike a plain rustc: unlikePlain.ts), or recache (not looked up). */
  missReason?: string;
  /** Why the remote tier could not serve this miss. */
  remoteReason?: string;
  /** How long it waited for another call's compile of its key (missesInFlight.ts), if it did. */
  waitedMs?: number;
}

/**
 * Each call's outcome as it is recorded: a line in the audit log, one in
 * daemon.log under SPLITCACHE_LOG=debug, and, for a hit, the stats' counts.
 */
export class CallEvents {
  readonly audit: AuditWriter;

  constructor(private readonly s: Services) {
    this.audit = new AuditWriter(s.store);
  }

  add(e: Omit<AuditEvent, 'time'>): void {
    this.audit.add(e.key === undefined ? e : { ...e, format: CACHE_VERSION });
    // SPLITCACHE_LOG=debug: each call's outcome in daemon.log too, as it happens (what `audit` shows later).
    if (this.s.log.debugging()) {
      const waited = e.waitedMs === undefined ? undefined : `after waiting ${e.waitedMs} ms for another build's compile of it`;
      const detail = e.outcome === 'hit'
        ? [`${e.origin} from ${e.producer}, saved ${e.timeSavedMs} ms`, waited].filter(Boolean).join(', ')
        : [e.reason, e.notStored && `not stored: ${e.notStored}`, waited].filter(Boolean).join('; ');
      this.s.log.debug(`${e.outcome} ${e.crate || '-'}${e.pkg ? ` (${e.pkg})` : ''} ${e.crateType || '-'}${detail ? ` (${detail})` : ''}`);
    }
  }

  /** A miss's line: stored (`entryKey`) or not (`notStored`: why). */
  miss(p: MissFacts, extra: { entryKey?: string; notStored?: string }): void {
    const reason = [p.missReason, p.remoteReason].filter(Boolean).join(',') || undefined;
    const waited = p.waitedMs === undefined ? {} : { waitedMs: p.waitedMs };
    this.add({ session: p.session, crate: p.inv.crateName!, ...pkgOf(p), crateType: p.crateType, outcome: 'miss', key: p.key.key, ...extra, reason, ...waited });
  }

  /** A hit counted, or, with `failed`, a hit whose call was built plainly after all, as a miss that stored nothing. */
  hit(h: HeldHit, failed?: string): void {
    if (!failed) {
      this.s.stats.hit(h.crateType, h.bytes ?? 0, h.timeSavedMs ?? 0);
      this.add(h);
      return;
    }
    this.s.stats.miss(h.crateType);
    this.s.stats.count('notStored', failed);
    const { session, crate, crateType, key } = h;
    this.add({ session, crate, ...pkgOf(h), crateType, outcome: 'miss', key, reason: failed, notStored: failed });
  }
}

/** The `pkg` field of a call's audit line, when it has one. */
export function pkgOf(x: { pkg?: string }): { pkg?: string } {
  return x.pkg ? { pkg: x.pkg } : {};
}
