import { diffKeys, type KeyDiff } from '@splitcache/hash';
import { PLACEHOLDER_CLOSE, PLACEHOLDER_OPEN, placeholderFor } from '@splitcache/paths';
import { crateMatcher, type ManifestRecord, type Store } from '@splitcache/store';
import { ABSENT } from './absentInputs.js';

export interface Explanation {
  crate: string;
  /** The miss's package and crate type, where its package is not the crate's name (a build script's). */
  pkg?: string;
  crateType?: string;
  key?: string;
  /**
   * 'no-call': no call of that crate (or package) is in the audit log (a misspelt name, one never built); 'no-miss': nothing to explain; 'recache': SPLITCACHE_RECACHE=1, not looked up; 'first-build': no earlier entry of that crate;
   * 'evicted': an entry was stored under the same key, and gc (or verify) evicted it; 'key': a key component differs; 'inputs': same key, a dep-info input differs;
   * 'diagnostic-form': same key and inputs, but the entry's diagnostics are in another form (diagnosticForm.ts);
   * 'built-plainly': it hit, then was compiled by a plain rustc after all (`reason`: its link step failed, or its output was lost to a full runs dir).
   */
  verdict: 'no-call' | 'no-miss' | 'recache' | 'first-build' | 'evicted' | 'key' | 'inputs' | 'diagnostic-form' | 'built-plainly';
  reason?: string;
  differences: KeyDiff[];
  comparedWith?: string;
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
  let miss: { crate: string; pkg?: string; crateType: string; key?: string; time: number; reason?: string } | undefined;
  const ofCrate = crateMatcher(name);
  let seen = false;
  for await (const e of store.events()) {
    if (!ofCrate(e)) continue;
    seen = true;
    if (e.outcome === 'miss' && (!session || e.session === session) && (!crateType || e.crateType === crateType)) miss = e;
  }
  // A crate no call names (a typo) was told "has no recorded miss", as one that always hit is.
  if (!miss?.key) return { crate: name.replace(/-/g, '_'), verdict: seen ? 'no-miss' : 'no-call', differences: [] };
  // `name` may be the package's (`serde` for its build script): what follows is the miss's own crate.
  const crate = miss.crate;
  const about = { crate, ...(miss.pkg ? { pkg: miss.pkg } : {}), crateType: miss.crateType };
  if (miss.reason === 'recache') return { ...about, key: miss.key, verdict: 'recache', differences: [] };
  if (miss.reason?.split(',').includes('evicted')) return { ...about, key: miss.key, verdict: 'evicted', differences: [] };
  if (miss.reason?.split(',').includes('diagnostic-form')) return { ...about, key: miss.key, verdict: 'diagnostic-form', differences: [] };
  if (miss.reason && BUILT_PLAINLY.has(miss.reason)) return { ...about, key: miss.key, verdict: 'built-plainly', reason: miss.reason, differences: [] };
  const mine = await store.getManifest(miss.key);
  if (!mine) return { ...about, key: miss.key, verdict: 'first-build', differences: [] };

  // Same key, more than one result: the newest result is this miss, the next one what it missed against.
  if (mine.results.length > 1) {
    const [now, before] = [mine.results[0]!, mine.results[1]!];
    const diff = diffKeys(
      [...before.inputs.map(([p, d]): [string, string] => [`file:${p}`, d]), ...before.envDeps.map(([n, v]): [string, string] => [`env-dep:${n}`, v ?? ''])],
      [...now.inputs.map(([p, d]): [string, string] => [`file:${p}`, d]), ...now.envDeps.map(([n, v]): [string, string] => [`env-dep:${n}`, v ?? ''])],
    );
    return { ...about, key: miss.key, verdict: 'inputs', differences: diff.map(readable), comparedWith: miss.key };
  }

  // Every build script's crate is build_script_build: only its own package's earlier entries
  // count. Compared with another package's (the nearest of any), `explain patterns --type
  // build-script` listed log's build script's key against patterns' first one.
  const ofPackage = (m: ManifestRecord) => !miss.pkg || m.components.some(([n, v]) => n === 'env:CARGO_PKG_NAME' && v === miss.pkg);
  let best: { key: string; diff: KeyDiff[] } | undefined;
  for await (const [key, m] of store.manifests()) {
    // A manifest whose results were all evicted keeps no components to compare (Store.evictEntries).
    if (key === miss.key || m.crateName !== crate || m.results.length === 0 || !ofPackage(m)) continue;
    const diff = diffKeys(m.components, mine.components);
    if (!best || diff.length < best.diff.length) best = { key, diff };
  }
  if (!best) return { ...about, key: miss.key, verdict: 'first-build', differences: [] };
  return { ...about, key: miss.key, verdict: 'key', differences: best.diff.map(readable), comparedWith: best.key };
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
