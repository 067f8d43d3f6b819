import { digestBytes, type Digest } from '@splitcache/hash';
import { splitNear } from './nearInputs.js';

/**
 * The key of one result under a manifest key: the manifest key plus the
 * normalised dep-info inputs with their digests and the env-deps with their
 * values as envDepValue records them, in dep-info order; and, for a result
 * whose diagnostics were rendered in a form other than the default
 * (`display`, diagnosticForm.ts), that form, so its entry stands beside the
 * default one rather than replacing it. Ingest stores an entry under it; the
 * remote tier recomputes it from a published input set and this machine's
 * files, so both must call this one function.
 */
export function entryKeyOf(manifestKey: Digest, inputs: [string, Digest][], envDeps: [string, string | null][], display?: string): Digest {
  const keyed = keyedInputs(inputs);
  return digestBytes(JSON.stringify(display ? [manifestKey, keyed, envDeps, display] : [manifestKey, keyed, envDeps]));
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
