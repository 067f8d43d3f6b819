import type { RustcIdentity } from './rustcIdentity.js';

/** The errors that say an `.rlink` is not in the format this version reads (paths/src/rlink), not that a file was damaged on its way. */
const FORMAT_CODES = new Set(['SPLITCACHE_RLINK_MAGIC', 'SPLITCACHE_RLINK_VERSION', 'SPLITCACHE_RLINK_SENTINEL', 'SPLITCACHE_RLINK_FOOTER']);

/** Refused this many times, and never read, a compiler's `.rlink` format is taken for one this version can't read. */
export const REFUSALS_BEFORE_GIVING_UP = 3;

/**
 * Which compilers write an `.rlink` this version can read, learned from the results of their
 * crates that link. Debian bookworm's rustc 1.63 ends its `.rlink` with no `rust-end-file`
 * footer: every such result was refused (SPLITCACHE_RLINK_FOOTER, "truncated?"), yet each crate
 * that links went on being split into `-Zno-link` and `-Zlink-only` for nothing, on every build,
 * with the split's costs and none of its gain: a second rustc start per crate, and proc-macros
 * whose crate hash differs from a plain build's (as with any rustc: docs/RELIABILITY.md, "Known
 * limits") (a helper's finding).
 * After REFUSALS_BEFORE_GIVING_UP refusals of a compiler's format with none read, its crates
 * that link pass through (`rlink-unsupported`), compiled plainly; libs are cached as before.
 *
 * A refusal counts only once the crate's link step has linked from that very `.rlink`: rustc
 * reads its own format, while a file cut short (a tool that rewrote it, a fault) fails the link.
 * Counted as soon as it was refused, three cut files in a new daemon turned the split off for a
 * good rustc (a review's repro). One `.rlink` read settles it the other way for the daemon's
 * life. Kept per daemon: a new daemon learns it again, from the first crates that link (as many
 * as cargo runs at once may be split before the first link ends).
 */
export class RlinkSupport {
  private readonly seen = new Map<string, { read: boolean; refused: number }>();
  /** Refusals waiting for their call's link step, by call token. */
  private readonly pending = new Map<string, { digest: string }>();

  /** A crate that links, compiled by `rustc`, whose result was stored: this compiler's format is read. */
  read(rustc: Pick<RustcIdentity, 'digest'>): void {
    this.stateOf(rustc.digest).read = true;
  }

  /** The result of the call `token`, by `rustc`, was refused with `code`: counted once its link step links (linked()). */
  refused(token: string, rustc: Pick<RustcIdentity, 'digest'>, code: string): void {
    if (!FORMAT_CODES.has(code)) return;
    // Bounded as a safeguard: a client that never reports its link steps would grow it for good.
    if (this.pending.size >= 10_000) this.pending.delete(this.pending.keys().next().value!);
    this.pending.set(token, { digest: rustc.digest });
  }

  /** The call `token`'s link step ended (`ok`: it linked); true when its refusal made the compiler's format unsupported. */
  linked(token: string, ok: boolean): boolean {
    const p = this.pending.get(token);
    this.pending.delete(token);
    if (!p || !ok) return false;
    const s = this.stateOf(p.digest);
    s.refused++;
    return !s.read && s.refused === REFUSALS_BEFORE_GIVING_UP;
  }

  /** The pass-through reason of a crate that links on `rustc`, where its format is taken for unsupported. */
  refuses(rustc: Pick<RustcIdentity, 'digest'>): string | undefined {
    const s = this.seen.get(rustc.digest);
    return s && !s.read && s.refused >= REFUSALS_BEFORE_GIVING_UP ? 'rlink-unsupported' : undefined;
  }

  private stateOf(digest: string): { read: boolean; refused: number } {
    let s = this.seen.get(digest);
    if (!s) this.seen.set(digest, (s = { read: false, refused: 0 }));
    return s;
  }
}
