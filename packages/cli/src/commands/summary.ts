import type { AuditEvent } from '@splitcache/store';
import { formatBytes } from '@splitcache/store/gc';
import { crateMatcher, reasonsOf } from '@splitcache/store/records';

export interface Summary {
  hits: number;
  localHits: number;
  remoteHits: number;
  misses: number;
  /** Misses of a key whose entry gc had evicted (reason `evicted`). */
  evictedMisses: number;
  /** Misses of a key whose entry `audit verify` had evicted for a damaged blob, or gc or verify dropped for a damaged record (reason `damaged`). */
  damagedMisses: number;
  /** Misses whose result was not stored for being larger than SPLITCACHE_MAX_ENTRY_SIZE (notStored `too-large`). */
  tooLargeMisses: number;
  compileErrors: number;
  passthrough: Record<string, number>;
  timeSavedMs: number;
  bytesRestored: number;
}

/** Counts a set of audit events (one session, one crate, …): what `stats` shows under a filter. */
export function summarise(events: AuditEvent[]): Summary {
  const s: Summary = { hits: 0, localHits: 0, remoteHits: 0, misses: 0, evictedMisses: 0, damagedMisses: 0, tooLargeMisses: 0, compileErrors: 0, passthrough: {}, timeSavedMs: 0, bytesRestored: 0 };
  for (const e of events) {
    if (e.outcome === 'hit') {
      s.hits++;
      if (e.origin === 'remote') s.remoteHits++;
      else s.localHits++;
      s.timeSavedMs += Math.max(0, e.timeSavedMs ?? 0);
      s.bytesRestored += e.bytes ?? 0;
    } else if (e.outcome === 'miss') {
      s.misses++;
      const reasons = reasonsOf(e);
      if (reasons.includes('evicted')) s.evictedMisses++;
      if (reasons.includes('damaged')) s.damagedMisses++;
      if (e.notStored === 'too-large') s.tooLargeMisses++;
    }
    else if (e.outcome === 'compile-error') s.compileErrors++;
    else s.passthrough[e.reason ?? 'unknown'] = (s.passthrough[e.reason ?? 'unknown'] ?? 0) + 1;
  }
  return s;
}

/**
 * The line `splitcache cargo` prints when cargo is done. `maxEntryBytes`: the daemon's
 * SPLITCACHE_MAX_ENTRY_SIZE, named with the misses it kept from being stored.
 */
export function summaryLine(s: Summary, maxEntryBytes?: number, uncached: Record<string, number> = {}): string {
  // Calls built uncached for a fault the daemon never heard of (no daemon to reach, one lost mid-call): compiled, as misses are.
  const calls = s.hits + s.misses + uncachedCount(uncached);
  const rate = calls ? ` (${((100 * s.hits) / calls).toFixed(0)} %)` : '';
  const remote = s.remoteHits ? `, ${s.remoteHits} remote` : '';
  const refused = Object.entries(s.passthrough).map(([k, v]) => `${k} ${v}`).join(', ');
  // cargo's debug profile compiles incrementally, which is never cached: a first `splitcache cargo build` shows only this.
  const hint = s.passthrough.incremental ? ' (CARGO_INCREMENTAL=0 caches those)' : '';
  const why = [];
  if (s.evictedMisses) why.push(`${s.evictedMisses} of entries gc had evicted; see \`splitcache stats\``);
  if (s.damagedMisses) why.push(`${s.damagedMisses} of entries \`audit verify\` evicted for a damaged blob, or gc dropped for a damaged record`);
  // Such a miss misses again in every build, and said nothing of why: `audit --json` alone had it.
  const limit = maxEntryBytes !== undefined && Number.isFinite(maxEntryBytes) ? `, ${formatBytes(maxEntryBytes)}` : '';
  if (s.tooLargeMisses) why.push(`${s.tooLargeMisses} not stored: larger than SPLITCACHE_MAX_ENTRY_SIZE${limit}`);
  const misses = `${s.misses} ${s.misses === 1 ? 'miss' : 'misses'}${why.length ? ` (${why.join('; ')})` : ''}`;
  // A build that failed to compile had only `0 hits, 0 misses` to show for it.
  const errors = (s.compileErrors ? `, ${s.compileErrors} compile error${s.compileErrors === 1 ? '' : 's'}` : '') + uncachedText(uncached);
  return `splitcache: ${s.hits} ${s.hits === 1 ? 'hit' : 'hits'}${remote}${rate}, ${misses}${errors}, ${(s.timeSavedMs / 1000).toFixed(1)} s saved${refused ? `; passed through: ${refused}${hint}` : ''}`;
}

/** How many calls built uncached for a fault, of every code. */
export function uncachedCount(uncached: Record<string, number>): number {
  return Object.values(uncached).reduce((a, b) => a + b, 0);
}

/** `, 6 built uncached (SPLITCACHE_DAEMON_UNREACHABLE 6)`, or nothing. */
export function uncachedText(uncached: Record<string, number>): string {
  const total = uncachedCount(uncached);
  if (total === 0) return '';
  return `, ${total} built uncached (${Object.entries(uncached).map(([code, n]) => `${code} ${n}`).join(', ')})`;
}

/** What `--origin` takes: where a hit came from, or `miss`. */
const ORIGINS = ['local', 'remote', 'miss'];

/** What a usage error says of an `--origin` that names none of them; undefined when it is fine (or not given). */
export function badOrigin(value: unknown): string | undefined {
  if (value === undefined || (typeof value === 'string' && ORIGINS.includes(value))) return undefined;
  return `--origin '${String(value)}' is none of local, remote or miss`;
}

/** Applies the common filters (--crate: the crate's name or its package's, --session, --origin) to audit events. */
export function filterEvents(events: AuditEvent[], f: Record<string, unknown>): AuditEvent[] {
  const ofCrate = typeof f.crate === 'string' ? crateMatcher(f.crate) : undefined;
  const session = typeof f.session === 'string' ? f.session : undefined;
  const origin = typeof f.origin === 'string' ? f.origin : undefined;
  return events.filter(
    (e) =>
      (!ofCrate || ofCrate(e)) &&
      (!session || e.session === session) &&
      (!origin || (origin === 'miss' ? e.outcome === 'miss' : e.origin === origin)),
  );
}
