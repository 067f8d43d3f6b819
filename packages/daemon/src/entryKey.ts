import { digestBytes, type Digest } from '@splitcache/hash';

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
  return digestBytes(JSON.stringify(display ? [manifestKey, inputs, envDeps, display] : [manifestKey, inputs, envDeps]));
}
