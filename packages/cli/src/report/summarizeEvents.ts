import type { AuditEvent } from '@splitcache/store';
import { reasonsOf } from '@splitcache/store/records';

export interface Tally {
  hits: number;
  localHits: number;
  remoteHits: number;
  /** Cacheable calls that compiled, compile errors included. */
  misses: number;
  compileErrors: number;
  passthrough: number;
  /** Time saved by hits, each clamped at zero as the daemon's counters are. */
  savedMs: number;
  bytes: number;
}

export interface SessionSummary extends Tally {
  id: string;
  first: number;
  last: number;
}

export interface CrateSavings {
  crate: string;
  hits: number;
  savedMs: number;
}

export interface Counted {
  label: string;
  count: number;
}

export interface ReportData {
  totals: Tally & { first: number; last: number };
  /** Ordered by each session's first event. */
  sessions: SessionSummary[];
  /** Most time saved first; only crates that saved time. */
  crates: CrateSavings[];
  missCauses: Counted[];
  passReasons: Counted[];
  notStored: Counted[];
}

export const MISS_CAUSE = {
  first: 'first build of the crate',
  // CACHE_VERSION is a key input: a splitcache whose cache format changed misses every crate once.
  upgrade: 'splitcache upgraded: new cache format',
  // The root source file is keyed (an edit to it changes the key); the files it reads are checked under the key.
  key: 'key: root source, flags, env, deps',
  inputs: 'a file it read changed, same key',
  evicted: 'evicted by gc (the size limit)',
  // audit verify's bad blob, or a damaged index record dropped by verify or gc (the daemon's own gc too), as explain says.
  damaged: 'evicted: a damaged blob or record',
  cleared: 'same key, its entry gone since',
  unstored: 'same key, none stored before',
  recache: 'SPLITCACHE_RECACHE (no lookup)',
  form: 'diagnostics stored in another form',
  unchecked: 'fetched unchecked; key set now',
  remap: 'a remap covers a file it read',
  unserved: 'entry there, not served',
  compileError: 'compile error (never cached)',
} as const;

/** The causes the daemon records (AuditEvent.reason, before any `remote-*`) that no comparison of keys can tell. */
const RECORDED: Record<string, string> = {
  evicted: MISS_CAUSE.evicted,
  damaged: MISS_CAUSE.damaged,
  recache: MISS_CAUSE.recache,
  'diagnostic-form': MISS_CAUSE.form,
  'unchecked-download': MISS_CAUSE.unchecked,
  'remap-covers-input': MISS_CAUSE.remap,
  'inputs-changed': MISS_CAUSE.inputs,
  // Removed after its link step failed (explain: entry-gone).
  'entry-gone': MISS_CAUSE.cleared,
};

/**
 * A miss's cause: the daemon's own reason where it names one, else judged against the earlier
 * events. Judged alone, every miss under a key seen before read "a file it read changed": a
 * build after `splitcache clear`, one under SPLITCACHE_RECACHE, one of another diagnostic form.
 */
function missCause(e: AuditEvent, keys: CrateKeys | undefined): string {
  const own = reasonsOf(e).filter((r) => !r.startsWith('remote-'))[0];
  if (own && RECORDED[own]) return RECORDED[own];
  const known = e.key !== undefined && keys?.seen.has(e.key);
  // new-key: the store had no manifest for it; a key stored before then lost its entry (clear, a damaged record).
  // One seen only in calls that stored nothing (a compile error, an output too large) never had one.
  if (own === 'new-key' && keys && !known && formatOf(e) !== undefined && keys.format !== undefined && formatOf(e) !== keys.format) return MISS_CAUSE.upgrade;
  if (own === 'new-key') return !keys ? MISS_CAUSE.first : keys.stored.has(e.key!) ? MISS_CAUSE.cleared : known ? MISS_CAUSE.unstored : MISS_CAUSE.key;
  // Any other recorded reason: an entry the store held and did not serve (a failed replay, an output rustc could not write).
  if (own) return MISS_CAUSE.unserved;
  // An older daemon's event, with no reason: judged by its key alone.
  return !keys ? MISS_CAUSE.first : known ? MISS_CAUSE.inputs : MISS_CAUSE.key;
}

/** A crate's keys in the events so far: every one looked up, and those an entry was stored or served under. */
interface CrateKeys {
  seen: Set<string>;
  stored: Set<string>;
  /** The cache format of its latest lookup, where the daemon recorded one. */
  format?: number;
}

/** The cache format an event records, if it is one (an older daemon's event has none). */
function formatOf(e: AuditEvent): number | undefined {
  return Number.isSafeInteger(e.format) && (e.format as number) > 0 ? e.format : undefined;
}

function emptyTally(): Tally {
  return { hits: 0, localHits: 0, remoteHits: 0, misses: 0, compileErrors: 0, passthrough: 0, savedMs: 0, bytes: 0 };
}

function add(t: Tally, e: AuditEvent): void {
  switch (e.outcome) {
    case 'hit': {
      t.hits++;
      if (e.origin === 'remote') t.remoteHits++;
      else t.localHits++;
      t.savedMs += Math.max(0, num(e.timeSavedMs));
      t.bytes += Math.max(0, num(e.bytes));
      break;
    }
    case 'miss':
      t.misses++;
      break;
    case 'compile-error':
      t.misses++;
      t.compileErrors++;
      break;
    case 'passthrough':
      t.passthrough++;
      break;
  }
}

/** A number from the log, or 0: a record written by an older daemon may lack the field. */
function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

function bump(m: Map<string, number>, key: string): void {
  m.set(key, (m.get(key) ?? 0) + 1);
}

function ranked(m: Map<string, number>): Counted[] {
  return [...m].map(([label, count]) => ({ label, count })).sort((a, b) => b.count - a.count || a.label.localeCompare(b.label));
}

/** A call's crate as the report names it: a build script by its package, as cargo does (`serde (build script)`). */
function crateLabel(e: AuditEvent): string {
  return e.pkg && e.crateType === 'build-script' ? `${e.pkg} (build script)` : e.crate;
}

/**
 * Folds the audit log into what the report draws. Pure; the events may come
 * in any order.
 *
 * A miss's cause is the daemon's recorded reason where it is one that keys
 * can't tell (evicted, damaged, recache, another diagnostic form, a changed
 * input...: missCause); a `new-key` miss is judged against the earlier events
 * in the same set: a crate never seen before is a first build; one whose
 * earlier lookups a daemon of another cache format made, an upgrade; a new manifest
 * key means a flag, env var, rustc or dependency changed (all are key
 * inputs); a known one, that its entry went (a clear), or, where no call of
 * it stored one (a compile error, too large), that none was. `explain` names the
 * exact change; this only sorts misses into those buckets.
 */
export function summarizeEvents(events: readonly AuditEvent[]): ReportData {
  const sorted = [...events].sort((a, b) => a.time - b.time);
  const totals = { ...emptyTally(), first: 0, last: 0 };
  const sessions = new Map<string, SessionSummary>();
  const crates = new Map<string, CrateSavings>();
  const keysByCrate = new Map<string, CrateKeys>();
  const missCauses = new Map<string, number>();
  const passReasons = new Map<string, number>();
  const notStored = new Map<string, number>();

  for (const e of sorted) {
    const time = num(e.time);
    if (!totals.first) totals.first = time;
    totals.last = time;
    add(totals, e);
    const id = typeof e.session === 'string' ? e.session : '';
    let s = sessions.get(id);
    if (!s) sessions.set(id, (s = { id, first: time, last: time, ...emptyTally() }));
    s.last = time;
    add(s, e);

    // Every build script's crate is build_script_build: its package tells them apart (AuditEvent.pkg).
    const crateId = `${e.crate}\0${e.pkg ?? ''}\0${e.crateType}`;
    let keys = keysByCrate.get(crateId);
    if (e.outcome === 'hit') {
      const label = crateLabel(e);
      const c = crates.get(label) ?? { crate: label, hits: 0, savedMs: 0 };
      c.hits++;
      c.savedMs += Math.max(0, num(e.timeSavedMs));
      crates.set(label, c);
    } else if (e.outcome === 'miss') {
      bump(missCauses, missCause(e, keys));
      if (e.notStored) bump(notStored, e.notStored);
    } else if (e.outcome === 'compile-error') {
      bump(missCauses, MISS_CAUSE.compileError);
    } else if (e.outcome === 'passthrough') {
      bump(passReasons, e.reason || 'unknown');
    }
    if (e.outcome !== 'passthrough' && e.key) {
      if (!keys) keysByCrate.set(crateId, (keys = { seen: new Set(), stored: new Set() }));
      keys.seen.add(e.key);
      keys.format = formatOf(e) ?? keys.format;
      if (e.outcome === 'hit' || (e.outcome === 'miss' && !e.notStored)) keys.stored.add(e.key);
    }
  }

  return {
    totals,
    sessions: [...sessions.values()].sort((a, b) => a.first - b.first),
    crates: [...crates.values()].filter((c) => c.savedMs > 0).sort((a, b) => b.savedMs - a.savedMs || a.crate.localeCompare(b.crate)),
    missCauses: ranked(missCauses),
    passReasons: ranked(passReasons),
    notStored: ranked(notStored),
  };
}
