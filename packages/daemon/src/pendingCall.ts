import type { PrefixTable } from '@splitcache/paths';
import type { Invocation } from '@splitcache/rustc';
import type { MissFacts } from './callEvents.js';
import type { ManifestKey } from './manifestKey.js';
import type { LinkStep } from './protocol.js';
import type { RustcIdentity } from './rustcIdentity.js';

/**
 * A call planned as a miss, from its plan to its report (compileHandler.ts): what its store
 * needs, and its audit line (MissFacts: its session, crate type and why it missed).
 */
export interface PendingCall extends MissFacts {
  inv: Invocation;
  mode: 'whole' | 'split';
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
  /** The mode of the files a hit writes: rustc's under the caller's umask (0o666 & ~umask), 0o644 when it is not known. */
  outputMode: number;
  /** The mode of a dir made as rustc makes it (a `-Z temps-dir`): 0o777 & ~umask, 0o755 when it is not known. */
  dirMode?: number;
  /** Forgets the compiler's memoised identity, `rustc`, which its outputs belied (unlikePlainRun.ts). */
  forgetRustc?: () => Promise<void>;
  /** The caller has a terminal whose size could not be read (terminalWidth.ts): a result with diagnostics is neither served nor stored. */
  widthUnread?: boolean;
}

let tokens = 0;

/** Names a pending call on its connection: unique within this daemon (the socket is the user's alone). */
export function newToken(): string {
  return (++tokens).toString(36);
}
