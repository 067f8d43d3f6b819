import { diffKeys, type KeyDiff } from '@splitcache/hash';
import { PLACEHOLDER_CLOSE, PLACEHOLDER_OPEN, placeholderFor } from '@splitcache/paths';
import { crateMatcher, reasonsOf, type AuditEvent, type ManifestRecord, type Store } from '@splitcache/store';
import { ABSENT } from './absentInputs.js';
import { splitNear } from './nearInputs.js';
import { UNLIKE_PLAIN } from './unlikePlain.js';

export interface Explanation {
  crate: string;
  /** The miss's package and crate type, where its package is not the crate's name (a build script's). */
  pkg?: string;
  crateType?: string;
  key?: string;
  /**
   * 'no-call': no call of that crate (or package) is in the audit log (a misspelt name, one never built), or none in the session or of the type asked for;
   * 'no-miss': nothing to explain; 'passed-through': its latest call ran plainly, uncached (`reason`: why);
   * 'recache': SPLITCACHE_RECACHE=1, not looked up; 'first-build': no earlier entry of that crate;
   * 'not-stored': an earlier call compiled it under the same key, and its result was not stored (`reason`: why, as `notStored`);
   * 'evicted': an entry was stored under the same key, and gc (or verify) evicted it; 'key': a key component differs; 'inputs': same key, a dep-info input differs;
   * 'diagnostic-form': same key and inputs, but the entry's diagnostics are in another form (diagnosticForm.ts);
   * 'remap-covers-input': same key, but a --remap-path-prefix of the call keyed as covering nothing covers a file the entry read (remapFlagKey.ts);
   * 'unchecked-download': the entry was fetched from the remote with no key to check it, and a daemon with one does not serve it;
   * 'built-plainly': it hit, then was compiled by a plain rustc after all (`reason`: its link step failed, or its output was lost to a full runs dir);
   * 'entry-gone': its key's result named an entry removed since (a failed link of an earlier hit evicts it);
   * 'interrupted': the call, or its link step, was ended by a signal (a Ctrl-C, a kill, the OOM killer);
   * 'unlike-plain': its entry was there, but a replay would have written its outputs otherwise than a plain rustc
   * does here (`reason`: unlikePlain.ts), so it compiled;
   * 'unkept-key': its key's parts are no longer kept (its entry was evicted since, or cleared), and the
   * crate has entries under other keys (`others`): which part differs can't be told.
   */
  verdict: 'no-call' | 'no-miss' | 'passed-through' | 'recache' | 'first-build' | 'not-stored' | 'evicted' | 'damaged' | 'key' | 'inputs' | 'diagnostic-form' | 'remap-covers-input' | 'unchecked-download' | 'built-plainly' | 'entry-gone' | 'interrupted' | 'unkept-key' | 'unlike-plain';
  /** For 'unkept-key': how many keys of the crate (its package's, for a build script) have entries. */
  others?: number;
  reason?: string;
  differences: KeyDiff[];
  comparedWith?: string;
  /** The latest call that matched (session, type), where it is not the miss explained: a later hit, a compile error, a pass-through. */
  latest?: { outcome: AuditEvent['outcome']; session: string; crateType: string; reason?: string };
  /** Why the explained miss's own result was not stored (so the next build misses too): `too-large`, … */
  notStored?: string;
  /** The crate types its calls have in the audit log, where more than one (a lib and a bin of one name): the text names the type then. */
  types?: string[];
  /** For 'no-call' of a name no call has: names in the audit log within two edits of it. */
  suggestions?: string[];
  /** Why the remote, asked after the local miss, could not serve it either (the miss's `remote-*` reason: `remote-blob-missing`, …). */
  remote?: string;
}

/**
 * Why did this crate miss? Takes the crate's latest miss (in a session, if
 * given) and compares it with the nearest earlier entry of the same crate:
 * either the manifest key differs (which argument, env var, source or extern
 * changed), or the key is the same and a dep-info input changed (which file).
 */
/** The reasons of a hit whose call was compiled plainly after all (heldHits.ts). */
const BUILT_PLAINLY = new Set(['link-failed', 'link-error', 'runs-dir-full', 'run-not-set-up']);

export async function explainMiss(store: Store, name: string, session?: string, crateType?: string): Promise<Explanation> {
  type Miss = Pick<AuditEvent, 'crate' | 'pkg' | 'crateType' | 'key' | 'entryKey' | 'time' | 'reason' | 'notStored' | 'session'>;
  let miss: Miss | undefined;
  let latest: AuditEvent | undefined;
  // By crate and type: a package's name matches each of its targets (`app` its lib, its bin, also
  // named `app`, and its test `it`), and the latest call told of is the explained miss's target's.
  const latestOf = new Map<string, AuditEvent>();
  // The crate's keys whose latest call compiled and stored nothing (why), in every session: a miss
  // of that key is theirs. Read in the session asked for only, a miss of session two read "no
  // earlier entry of this crate exists" of a key session one compiled and could not store.
  const unstored = new Map<string, string>();
  let unstoredBefore: string | undefined;
  const ofCrate = crateMatcher(name);
  const names = new Set<string>();
  let seen = false;
  const types = new Set<string>();
  for await (const e of store.events()) {
    if (!ofCrate(e)) {
      names.add(e.crate);
      if (e.pkg) names.add(e.pkg);
      continue;
    }
    seen = true;
    if (e.crateType && e.outcome !== 'passthrough') types.add(e.crateType);
    const before = e.key === undefined ? undefined : unstored.get(e.key);
    noteStored(unstored, e);
    if ((session && e.session !== session) || (crateType && e.crateType !== crateType)) continue;
    latest = e;
    latestOf.set(`${e.crate} ${e.crateType}`, e);
    if (e.outcome !== 'miss') continue;
    miss = e;
    unstoredBefore = before;
  }
  const crateOf = name.replace(/-/g, '_');
  // A crate no call names (a typo) was told "has no recorded miss", as one that always hit is.
  if (!seen) return { crate: crateOf, verdict: 'no-call', differences: [], suggestions: nearNames(crateOf, names) };
  if (!latest) return { crate: crateOf, verdict: 'no-call', differences: [] };
  if (miss) latest = latestOf.get(`${miss.crate} ${miss.crateType}`) ?? latest;
  const last = { outcome: latest.outcome, session: latest.session, crateType: latest.crateType, ...(latest.reason ? { reason: latest.reason } : {}) };
  if (latest.outcome === 'passthrough') return { crate: latest.crate, verdict: 'passed-through', reason: latest.reason, differences: [] };
  if (!miss?.key) return { crate: latest.crate, crateType: latest.crateType, verdict: 'no-miss', differences: [], latest: last };
  // `name` may be the package's (`serde` for its build script): what follows is the miss's own crate.
  const crate = miss.crate;
  const about = {
    crate, ...(miss.pkg ? { pkg: miss.pkg } : {}), crateType: miss.crateType,
    ...(latest !== miss ? { latest: last } : {}), ...(miss.notStored ? { notStored: miss.notStored } : {}),
    ...(types.size > 1 ? { types: [...types].sort() } : {}),
    ...remoteReason(miss.reason),
  };
  if (miss.reason === 'recache') return { ...about, key: miss.key, verdict: 'recache', differences: [] };
  const reasons = reasonsOf(miss);
  // entry-gone read "no earlier entry of this crate exists" beside an audit line that named it (a helper's finding).
  for (const verdict of ['evicted', 'damaged', 'diagnostic-form', 'remap-covers-input', 'unchecked-download', 'entry-gone', 'interrupted'] as const) {
    if (reasons.includes(verdict)) return { ...about, key: miss.key, verdict, differences: [] };
  }
  if (miss.reason && BUILT_PLAINLY.has(miss.reason)) return { ...about, key: miss.key, verdict: 'built-plainly', reason: miss.reason, differences: [] };
  const unlike = UNLIKE_PLAIN.find((r) => reasons.includes(r));
  if (unlike) return { ...about, key: miss.key, verdict: 'unlike-plain', reason: unlike, differences: [] };
  const mine = await store.getManifest(miss.key);
  // Not stored, unless a result stored before the miss's own is there to tell what differs: a
  // miss whose own result was stored (the size limit raised since) read "no earlier entry".
  const own = miss.entryKey ? (mine?.results.findIndex((r) => r.entryKey === miss.entryKey) ?? -1) : -1;
  const older = (mine?.results.length ?? 0) - own - 1;
  if (unstoredBefore && older === 0) return { ...about, key: miss.key, verdict: 'not-stored', reason: unstoredBefore, differences: [] };
  // An entry evicted since keeps no key parts (Store.evictEntries), and its mark goes in time: an
  // old session's miss read "no earlier entry of this crate exists" of a crate with entries under
  // other keys (a soak helper's finding).
  if (!mine || (mine.results.length === 0 && mine.components.length === 0)) {
    const others = await keysBefore(store, miss);
    return others > 0 ? { ...about, key: miss.key, verdict: 'unkept-key', others, differences: [] } : { ...about, key: miss.key, verdict: 'first-build', differences: [] };
  }

  // Same key, more than one result: the miss's own result (the newest, unless a later build
  // stored another: an old session's miss), and the one before it, what it missed against.
  const at = miss.entryKey ? mine.results.findIndex((r) => r.entryKey === miss.entryKey) : 0;
  const [now, before] = [mine.results[at], mine.results[at + 1]];
  if (at >= 0 && now && before) {
    const diff = diffKeys(
      [...filesOf(before), ...before.envDeps.map(([n, v]): [string, string] => [`env-dep:${n}`, v ?? ''])],
      [...filesOf(now), ...now.envDeps.map(([n, v]): [string, string] => [`env-dep:${n}`, v ?? ''])],
    );
    return { ...about, key: miss.key, verdict: 'inputs', differences: diff.map(readable), comparedWith: miss.key };
  }

  // Every build script's crate is build_script_build: only its own package's earlier entries
  // count. Compared with another package's (the nearest of any), `explain patterns --type
  // build-script` listed log's build script's key against patterns' first one.
  // Only entries of the same kind (crate types, --test, driver): a crate's first test build was
  // compared with its lib's entry, and told its --test and --emit differ.
  const kind = kindOf(mine.components);
  // Only entries stored before this miss's own: an old session's miss was compared with a later
  // build's, and its differences read backwards (a helper's finding).
  const storedBy = (miss.entryKey ? (await store.getEntry(miss.entryKey).catch(() => undefined))?.createdAt : undefined) ?? miss.time;
  // Of those as near, the one stored last before it: the build it followed (the first found won a
  // tie, an older build's entry: a review helper's finding).
  let best: { key: string; diff: KeyDiff[]; at: number } | undefined;
  for await (const [key, m] of store.manifests()) {
    // A manifest whose results were all evicted keeps no components to compare (Store.evictEntries).
    if (key === miss.key || m.crateName !== crate || m.results.length === 0 || !ofPackage(m, miss.pkg) || kindOf(m.components) !== kind) continue;
    const diff = diffKeys(m.components, mine.components);
    if (best && diff.length > best.diff.length) continue;
    // Its newest result stored before the miss's own (results are newest first); one with none is left out.
    let at: number | undefined;
    for (const r of m.results) {
      const created = (await store.getEntry(r.entryKey).catch(() => undefined))?.createdAt; // a damaged entry (dropped) only loses its date
      if (created === undefined || created <= storedBy) {
        at = created ?? 0;
        break;
      }
    }
    if (at === undefined) continue;
    if (!best || diff.length < best.diff.length || at > best.at) best = { key, diff, at };
  }
  if (!best) return { ...about, key: miss.key, verdict: 'first-build', differences: [] };
  return { ...about, key: miss.key, verdict: 'key', differences: best.diff.map(readable), comparedWith: best.key };
}

/**
 * Keeps `unstored` (key → why its result was not stored) to the crate's call `e`: a miss that
 * stored nothing marks its key, but for a hit built plainly after all (its entry is there, or
 * evicted: entry-gone); a result stored or a hit clears it.
 */
function noteStored(unstored: Map<string, string>, e: AuditEvent): void {
  if (!e.key) return;
  if (e.outcome === 'miss' && e.notStored && !BUILT_PLAINLY.has(e.reason ?? '')) unstored.set(e.key, e.notStored);
  else if (e.outcome === 'hit' || e.entryKey) unstored.delete(e.key);
}

/** Whether manifest `m` is of package `pkg` (any, where none is given): its CARGO_PKG_NAME component. */
function ofPackage(m: ManifestRecord, pkg: string | undefined): boolean {
  return !pkg || m.components.some(([n, v]) => n === 'env:CARGO_PKG_NAME' && v === pkg);
}

/**
 * How many keys of the miss's crate have an entry stored before the miss, of its kind as far as
 * an audit line tells it (a test's or not) and of its package (a build script's): counted with
 * no such filter, a first build was told it had an "earlier" entry that came after it, or a
 * test build its lib's (a review's finding).
 */
async function keysBefore(store: Store, miss: Pick<AuditEvent, 'crate' | 'pkg' | 'crateType' | 'time'>): Promise<number> {
  let n = 0;
  for await (const [, m] of store.manifests()) {
    if (m.crateName !== miss.crate || m.results.length === 0) continue;
    if (!ofPackage(m, miss.pkg)) continue;
    if (m.components.some(([c]) => /^--test(#\d+)?$/.test(c)) !== (miss.crateType === 'test')) continue;
    for (const r of m.results) {
      const created = (await store.getEntry(r.entryKey).catch(() => undefined))?.createdAt; // a damaged entry (dropped) only loses its date
      if (created !== undefined && created <= miss.time) {
        n++;
        break;
      }
    }
  }
  return n;
}

/**
 * A result's inputs as key components, but the second record of an input at its path as it was
 * (nearInputs.ts): its digest is its own entry's, and a change read twice (`file:pgo/m.profdata`,
 * then `file:pgo/m.profdata, and /ci/pgo/m.profdata where there`).
 */
function filesOf(r: { inputs: [string, string][] }): [string, string][] {
  return r.inputs.filter(([p]) => !splitNear(p)).map(([p, d]) => [`file:${p}`, d]);
}

/** The remote's part of a miss's reasons (`new-key,remote-blob-missing`), for Explanation.remote. */
function remoteReason(reason: string | undefined): { remote?: string } {
  const r = reasonsOf({ reason }).find((x) => x.startsWith('remote-'));
  return r ? { remote: r } : {};
}

/**
 * The components that say which of a package's targets a key is of: its crate types, `--test`, a
 * driver's name, its root source (a lib's and a bin's unit tests share a name and `--test`).
 */
function kindOf(components: ReadonlyArray<readonly [string, string]>): string {
  return components.filter(([n]) => /^(--crate-type|--test|driver|input)(#\d+)?$/.test(n)).map(([, v]) => v).sort().join('\0');
}

/** The names within two edits of `name` (a misspelt crate: `tokoi` for `tokio`), closest first, at most three. */
function nearNames(name: string, names: Set<string>): string[] {
  const near: [number, string][] = [];
  for (const other of names) {
    const d = editDistance(name, other);
    if (d <= 2 && d < other.length) near.push([d, other]);
  }
  return near.sort((a, b) => a[0] - b[0] || a[1].localeCompare(b[1])).slice(0, 3).map(([, n]) => n);
}

/** Levenshtein distance, with a swap of two neighbours counted as one edit. */
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const CWD = new RegExp(`${escape(placeholderFor('cwd'))}(/)?`, 'g');
const ANY_PLACEHOLDER = new RegExp(`${escape(PLACEHOLDER_OPEN)}([A-Za-z0-9_.-]+)${escape(PLACEHOLDER_CLOSE)}`, 'g');

/**
 * Keys and inputs hold paths normalised with placeholders (`@@sc:cwd@@/src/a.rs`).
 * Shown to a user, the workspace root drops out (`src/a.rs`, as cargo names
 * paths) and any other prefix reads as its name (`<target>/debug/deps`).
 */
export function readablePaths(text: string): string {
  return text.replace(CWD, (_, slash: string | undefined) => (slash ? '' : '.')).replace(ANY_PLACEHOLDER, (_, name: string) => `<${name}>`);
}

function readable(d: KeyDiff): KeyDiff {
  const r: KeyDiff = { name: readablePaths(d.name) };
  const value = (v: string) => (d.name.startsWith('file:') && v === ABSENT ? '(no file)' : readablePaths(v));
  if (d.before !== undefined) r.before = value(d.before);
  if (d.after !== undefined) r.after = value(d.after);
  return r;
}
