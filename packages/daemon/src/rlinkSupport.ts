import type { RustcIdentity } from './rustcIdentity.js';

/** The errors that say an `.rlink` is not in the format this version reads (paths/src/rlink), not that a file was damaged on its way. */
const FORMAT_CODES = new Set(['SPLITCACHE_RLINK_MAGIC', 'SPLITCACHE_RLINK_VERSION', 'SPLITCACHE_RLINK_LEB128', 'SPLITCACHE_RLINK_SENTINEL', 'SPLITCACHE_RLINK_FOOTER']);

/** Refused this many times, and never read, a compiler's `.rlink` format is taken for one this version can't read. */
export const REFUSALS_BEFORE_GIVING_UP = 3;

/**
 * Which compilers write an `.rlink` this version can read, learned from the results of their
 * crates that link. Debian bookworm's rustc 1.63 ends its `.rlink` with no `rust-end-file`
 * footer: every such result was refused (SPLITCACHE_RLINK_FOOTER, "truncated?"), yet each crate
 * that links went on being split into `-Zno-link` and `-Zlink-only` for nothing, on every build,
 * and the split changed its proc-macros' crate hash from a plain build's (a helper's finding).
 * After REFUSALS_BEFORE_GIVING_UP refusals of a compiler's format with none read, its crates
 * that link pass through (`rlink-unsupported`), compiled plainly; libs are cached as before.
 * One read `.rlink` settles it the other way for the daemon's life: a file cut short by a fault
 * then never turns splitting off. Kept per daemon: a new daemon learns it again, in three calls.
 */
export class RlinkSupport {
  private readonly seen = new Map<string, { read: boolean; refused: number }>();

  /** A crate that links, compiled by `rustc`, whose result was stored (`code` undefined) or refused with `code`; true when this refusal made the compiler's format unsupported. */
  note(rustc: Pick<RustcIdentity, 'digest'>, code?: string): boolean {
    const s = this.seen.get(rustc.digest) ?? { read: false, refused: 0 };
    this.seen.set(rustc.digest, s);
    if (code === undefined) s.read = true;
    else if (FORMAT_CODES.has(code)) s.refused++;
    return code !== undefined && !s.read && s.refused === REFUSALS_BEFORE_GIVING_UP;
  }

  /** The pass-through reason of a crate that links on `rustc`, where its format is taken for unsupported. */
  refuses(rustc: Pick<RustcIdentity, 'digest'>): string | undefined {
    const s = this.seen.get(rustc.digest);
    return s && !s.read && s.refused >= REFUSALS_BEFORE_GIVING_UP ? 'rlink-unsupported' : undefined;
  }
}
