import type { Invocation } from './invocation.js';
import { writesCode } from './writesCode.js';

/** `-C debuginfo` values rustc reads as no debug info. */
const NO_DEBUGINFO = new Set(['0', 'none', 'n', 'no', 'off', 'false']);

/** Whether the call asks for any debug info: `-g`, or a `-C debuginfo` other than none (the last one given wins). */
export function hasDebuginfo(inv: Invocation): boolean {
  if (inv.args.includes('-g')) return true;
  const level = inv.codegen.get('debuginfo');
  return level !== undefined && !NO_DEBUGINFO.has(level);
}

/**
 * Whether the call's outputs name its `.dwo` files (or its objects, where they hold the DWARF) by
 * absolute path: `-C split-debuginfo=unpacked` with debug info, and an `--emit` that writes code.
 * A metadata-only call (`cargo check`, clippy) writes none; keyed by its out dir all the same, it
 * missed in every other checkout or target dir (a hunt with an unpacked dev profile: a `cargo
 * check` elsewhere hit 0 of 34 calls).
 */
export function namesSplitDwarf(inv: Invocation): boolean {
  return inv.codegen.get('split-debuginfo') === 'unpacked' && hasDebuginfo(inv) && writesCode(inv);
}

/**
 * Whether a `-C split-debuginfo=unpacked` compile leaves its object files
 * (`<stem>.<cgu>.rcgu.o`) in the out-dir, as rustc decides it: with debug
 * info, when the DWARF stays in the objects, either because
 * `-Zsplit-dwarf-kind=single` keeps it there (the default, `split`, writes
 * `.dwo` files instead) or because the target can't use split DWARF (Apple's,
 * whose debugger reads the objects through the binary's debug map; cargo's
 * dev profile is unpacked there by default). A binary then names those
 * objects for its debug info, so a lib's must come back with its rlib.
 * `host`: the triple the call builds for when it names no --target.
 */
export function unpackedKeepsObjects(inv: Invocation, host: string): boolean {
  if (inv.codegen.get('split-debuginfo') !== 'unpacked' || !hasDebuginfo(inv)) return false;
  let kind = 'split';
  for (const z of inv.unstable) if (z.startsWith('split-dwarf-kind=')) kind = z.slice('split-dwarf-kind='.length);
  return kind === 'single' || (inv.target ?? host).includes('-apple-');
}
