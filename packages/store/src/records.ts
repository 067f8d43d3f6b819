import type { Digest } from '@splitcache/hash';

/** One file an entry restores, named relative to the invocation's out-dir. */
export interface OutputRecord {
  name: string;
  digest: Digest;
  size: number;
  /** How the stored bytes were normalised: 'raw' (as is), 'text' (dep-info, through the prefix table: normaliseDepInfo), 'rlink' (rlink codec). */
  form: 'raw' | 'text' | 'rlink';
  /** Objects are fed to -Zlink-only (which deletes them) rather than kept. */
  role: 'output' | 'object' | 'rlink';
}

/** A cached compile result: the outputs plus the replayed stdout/stderr and provenance. */
export interface EntryRecord {
  v: 1;
  mode: 'whole' | 'split';
  crateName: string;
  crateType: string;
  outputs: OutputRecord[];
  /** stdout/stderr with machine-specific paths normalised. */
  stdout: Uint8Array;
  stderr: Uint8Array;
  exitCode: number;
  producer: string;
  createdAt: number;
  rustcVersion: string;
  compileMs: number;
  /** The rustc arguments, normalised (machine paths replaced by placeholders). */
  command: string[];
  /** The normalised dep-info inputs and their digests at the time of the compile. */
  inputs: [string, Digest][];
  /** The record blob that can rebuild this entry's index records (see recordBlob.ts). */
  recordDigest?: Digest;
  /**
   * Set on an entry fetched from the remote (remoteTier.ts) to what its records' signature was then
   * ('valid': checked with SPLITCACHE_SIGNING_KEY; 'unsigned': no key, nothing checked), so that a
   * later local hit of it still says where it came from. Absent on entries this store produced.
   */
  fetched?: 'valid' | 'unsigned';
}

/** One earlier result under a manifest key: the inputs its dep-info named and its entry. */
export interface ManifestResult {
  entryKey: Digest;
  inputs: [string, Digest][];
  envDeps: [string, string | null][];
  /**
   * For a result whose compile printed diagnostics: the form they were
   * rendered in (the display parts of `--json`, as `diagnostic-short`, and the
   * width, as `width=none`: daemon/src/diagnosticForm.ts; '' from a version
   * before the width was in it); it serves only calls that ask for that form.
   * Absent where there were none: such a result serves every form.
   */
  display?: string;
  /** On a result `audit verify` evicted (ManifestRecord.evictedResults): a blob of its entry was damaged. */
  damaged?: true;
}

/** Direct-mode manifest: the key's components (for `explain`) and recent results, newest first. */
export interface ManifestRecord {
  v: 1;
  crateName: string;
  components: [string, string][];
  results: ManifestResult[];
  /**
   * When gc (or verify) evicted the last of its results (ms since the epoch). The manifest stays,
   * with no results and no components, as the record that this key was stored once: a later miss of it is
   * `evicted`, not `new-key`, so a store too small for what builds use is told apart from keys
   * that change. Dropped with the audit log's lines of the same age (Store.forgetEvicted); the
   * next result stored under the key replaces it.
   */
  evictedAt?: number;
  /** With evictedAt: `audit verify` evicted the last result (a damaged blob), not gc. */
  damaged?: true;
  /**
   * The results gc (or verify) evicted from a manifest that keeps others, newest first (at most
   * MAX_EVICTED_RESULTS): a later miss whose inputs are one of theirs is `evicted` too. Before, it
   * read `inputs-changed`, and `explain` blamed a source file for what the store's size limit did
   * (a branch switched back, its module's result evicted). Dropped with the audit log's lines of
   * the same age, as `evictedAt`.
   */
  evictedResults?: ManifestResult[];
}

export const MAX_RESULTS_PER_MANIFEST = 16;
export const MAX_EVICTED_RESULTS = 4;

/** One line of the audit log: every hit, miss and pass-through, with its reason. */
/**
 * Whether an audit event is of crate `name` (dashes read as underscores): its crate's name, or
 * its package's. `name` is read once, for a test run over every line of the audit log.
 */
export function crateMatcher(name: string): (e: Pick<AuditEvent, 'crate' | 'pkg'>) => boolean {
  const want = name.replace(/-/g, '_');
  return (e) => e.crate === want || (e.pkg !== undefined && e.pkg.replace(/-/g, '_') === want);
}

/** The package of a call to record (AuditEvent.pkg): CARGO_PKG_NAME, where it does not name the crate already. */
export function packageToRecord(crate: string | undefined, env: Record<string, string | undefined>): string | undefined {
  const pkg = env.CARGO_PKG_NAME;
  return pkg && pkg.replace(/-/g, '_') !== crate ? pkg : undefined;
}

export interface AuditEvent {
  time: number;
  session: string;
  crate: string;
  /**
   * The cargo package (CARGO_PKG_NAME) where its name is not the crate's: every build
   * script's crate is `build_script_build`, and a lib may be renamed (`[lib] name`).
   */
  pkg?: string;
  crateType: string;
  outcome: 'hit' | 'miss' | 'passthrough' | 'compile-error';
  /** Why a lookup missed (new-key, inputs-changed, …, plus remote-* causes), or why a call passed through. */
  reason?: string;
  /** Why a miss's result was not stored (input-modified-during-compile, a SPLITCACHE_* code, …). */
  notStored?: string;
  key?: string;
  entryKey?: string;
  origin?: 'local' | 'remote';
  producer?: string;
  /** 'local' for entries this store produced; for remote ones (and local hits of entries fetched from it) 'valid', 'unsigned' or 'invalid'. */
  signature?: 'local' | 'valid' | 'unsigned' | 'invalid';
  bytes?: number;
  timeSavedMs?: number;
  /** How long the call waited for another call's compile of its key before it looked up again (a concurrent build of the same commit). */
  waitedMs?: number;
  /** The cache format (CACHE_VERSION) of the daemon that recorded it: every key changes with it, so `report` tells an upgrade's misses from changed keys. */
  format?: number;
}

/** The reasons an audit line gives (`reason`: one, or a miss's causes joined by commas, `new-key,remote-blob-missing`). */
export function reasonsOf(e: { reason?: unknown }): string[] {
  return typeof e.reason === 'string' && e.reason !== '' ? e.reason.split(',') : [];
}
