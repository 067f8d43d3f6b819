import type { FileDigestMemo } from '@splitcache/hash';
import type { PrefixTable } from '@splitcache/paths';
import type { ManifestRecord, ManifestResult } from '@splitcache/store';
import { envDepHolds } from './envDepValue.js';
import { ABSENT, isPresent } from './absentInputs.js';
import { inputOnDisk } from './inputPath.js';
import { rawIsOwn, rawThere, splitNear } from './nearInputs.js';
import { freeFromCovers } from './remapFlagKey.js';

/**
 * Direct-mode step 2: the first earlier result whose recorded dep-info
 * inputs still have the same digests, and whose env-deps still hold the same
 * values (as envDepValue records them: exactly, but for OUT_DIR and
 * CLIPPY_CONF_DIR; envDepHolds), and whose places recorded ABSENT still hold
 * no file (absentInputs.ts), and whose diagnostics, if it has any, are in the
 * call's `form` (diagnosticForm.ts), is the hit. Files are digested through the memo, so a warm daemon
 * only stats them. With none, `reason` says why: no manifest (`new-key`), one whose
 * results were all evicted, or whose result for these inputs was (`evicted`,
 * Store.evictEntries; `damaged` where `audit verify` evicted it for a damaged blob),
 * only results of another diagnostic form (`diagnostic-form`), only results with an input that a
 * `--remap-path-prefix` keyed as covering nothing (`freeFroms`) covers (`remap-covers-input`: that
 * call's rustc would rewrite its path, which the result's rustc did not), or `inputs-changed`.
 */
export async function findResult(
  manifest: ManifestRecord | undefined,
  cwd: string,
  env: Record<string, string>,
  table: PrefixTable,
  files: FileDigestMemo,
  form: string,
  freeFroms: readonly string[] = [],
): Promise<{ result?: ManifestResult; reason: string }> {
  if (!manifest) return { reason: 'new-key' };
  // Stored once, and every result since evicted (gc, or verify: a damaged blob): the key did not change.
  if (manifest.results.length === 0) return { reason: manifest.damaged ? 'damaged' : 'evicted' };
  const cache = new Map<string, string | null>();
  const digestOf = async (p: string): Promise<string | null> => {
    let d = cache.get(p);
    if (d === undefined) {
      d = await files.digest(inputOnDisk(cwd, table.expand(p))).catch(() => null);
      cache.set(p, d);
    }
    return d;
  };
  /** Whether the result's inputs and env-deps are as they were. */
  const holds = async (r: ManifestResult): Promise<boolean> => {
    const inputPaths = r.envDeps.length > 0 ? r.inputs.map(([p]) => p) : [];
    for (const [name, value] of r.envDeps) {
      if (!envDepHolds(name, env[name], value, inputPaths, table)) return false;
    }
    for (const [p, d] of r.inputs) {
      const near = splitNear(p);
      if (near) {
        // The path as it was, where a file is there (nearInputs.ts): another checkout's of this machine.
        // This checkout's own (the same checkout, a registry crate's) is the input's own entry.
        if (rawIsOwn(near, cwd, table)) continue;
        const there = rawThere(near.raw);
        if (there === 'other' || (there === 'file' && (await files.digest(near.raw).catch(() => null)) !== d)) return false;
        continue;
      }
      if (d === ABSENT ? isPresent(inputOnDisk(cwd, table.expand(p))) : (await digestOf(p)) !== d) return false;
    }
    return true;
  };
  let otherForm = false;
  let remapped = false;
  for (const r of manifest.results) {
    if (freeFromCovers(freeFroms, r.inputs.map(([p]) => p), cwd, table)) {
      remapped = true;
      continue;
    }
    if (!(await holds(r))) continue;
    if (r.display !== undefined && r.display !== form) {
      otherForm = true;
      continue;
    }
    return { result: r, reason: '' };
  }
  if (remapped) return { reason: 'remap-covers-input' };
  if (otherForm) return { reason: 'diagnostic-form' };
  // A result gc evicted from this key, while it kept others, whose inputs are these: the store's size limit, not an edit.
  for (const r of manifest.evictedResults ?? []) if (await holds(r)) return { reason: r.damaged ? 'damaged' : 'evicted' };
  return { reason: 'inputs-changed' };
}
