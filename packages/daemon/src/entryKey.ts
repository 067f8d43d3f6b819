import { digestBytes, type Digest } from '@splitcache/hash';
import { splitNear } from './nearInputs.js';

/**
 * The key of one result under a manifest key: the manifest key plus the
 * normalised dep-info inputs with their digests and the env-deps with their
 * values as envDepValue records them, each sorted by path (inPathOrder); and, for a result
 * whose diagnostics were rendered in a form other than the default
 * (`display`, diagnosticForm.ts), that form, so its entry stands beside the
 * default one rather than replacing it. Ingest stores an entry under it; the
 * remote tier recomputes it from a published input set and this machine's
 * files, so both must call this one function.
 */
export function entryKeyOf(manifestKey: Digest, inputs: [string, Digest][], envDeps: [string, string | null][], display?: string): Digest {
  const keyed = inPathOrder(keyedInputs(inputs));
  const env = inPathOrder(envDeps);
  return digestBytes(JSON.stringify(display ? [manifestKey, keyed, env, display] : [manifestKey, keyed, env]));
}

/**
 * Inputs (or env-deps) sorted by path (name), as the key takes them: the order is dep-info's, which
 * a remote reader digests in as the first input set published for the manifest key lists them.
 * A module moved from `m.rs` to `m/mod.rs` (its text unchanged, the root file too) is one manifest
 * key with the same paths, ABSENT swapped, in another order: in dep-info order, every reader of
 * the move's commit computed the key of the first path set's order, missed the entry its own
 * commit's writers published, and kept missing while the root file stayed (a helper's hunt).
 */
export function inPathOrder<T extends [string, unknown]>(pairs: T[]): T[] {
  return [...pairs].sort(byPath);
}

/** The order of inPathOrder: by path (name), in UTF-16 code units, the same on every machine; equal paths keep their order. */
export function byPath(a: [string, unknown], b: [string, unknown]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

/** Whether two input lists record the same paths with the same digests, whatever their order. */
export function sameInputs(a: [string, Digest][], b: [string, Digest][]): boolean {
  return JSON.stringify(inPathOrder(keyedInputs(a))) === JSON.stringify(inPathOrder(keyedInputs(b)));
}

/**
 * The inputs a result's key holds: not the second record of an input at its path as it was
 * (nearInputs.ts), whose digest is its own entry's and whose path is the producer's checkout.
 * Keyed, it gave each checkout its own entry key for the same result: a runner in another
 * checkout could not put its entry in place of one whose blobs the server lost, and a reader
 * refused the one it did put (a CI-like run's remote tests).
 */
export function keyedInputs(inputs: [string, Digest][]): [string, Digest][] {
  return inputs.some(([p]) => splitNear(p)) ? inputs.filter(([p]) => !splitNear(p)) : inputs;
}
