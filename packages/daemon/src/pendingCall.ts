import type { PrefixTable } from '@splitcache/paths';
import type { Invocation } from '@splitcache/rustc';
import type { MissFacts } from './callEvents.js';
import type { ManifestKey } from './manifestKey.js';
import type { LinkStep } from './protocol.js';
import type { RustcIdentity } from './rustcIdentity.js';

/** A call planned as a miss, from its plan to its report (compileHandler.ts): what its store and audit line need. */
export interface PendingCall extends MissFacts {
  session: string;
  inv: Invocation;
  mode: 'whole' | 'split';
  crateType: string;
  cwd: string;
  table: PrefixTable;
  key: ManifestKey;
  rustc: RustcIdentity;
  startedAt: number;
  /** For a crate that links: the -Zno-link half (run on a miss) and the link step. */
  noLinkArgs?: string[];
  link?: LinkStep;
  /** What a plain call of this compiler has for RUSTC_BOOTSTRAP (unset: undefined); the split halves run with 1. */
  plainBootstrap?: string;
  /** Why the remote tier could not serve this miss (recorded on its audit event). */
  remoteReason?: string;
  /** Why the lookup missed: new-key, inputs-changed (same key, a source differs), entry-gone, replay-failed, or recache (not looked up). */
  missReason?: string;
  /** How long it waited for another call's compile of its key (missesInFlight.ts), if it did. */
  waitedMs?: number;
}
