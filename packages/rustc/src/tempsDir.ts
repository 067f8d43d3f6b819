import { optionSpelled, type Invocation } from './invocation.js';
import { hasDebuginfo } from './unpackedObjects.js';
import { writesCode } from './writesCode.js';

/**
 * `-Z temps-dir=DIR` (nightly): rustc writes its intermediate files in DIR, the objects among
 * them. A crate that links left its `-Zno-link` objects there, outside the out dir where the
 * store takes them from, and was never stored (`rlink-without-objects`). No object's path reaches
 * a linked output (a binary's bytes are the same with DIR or without, checked with nightly 1.97),
 * so the `-Zno-link` half runs without the option, its objects in the out dir, where the link step
 * deletes them as it deletes them from DIR. But where the debug info is split: the `.dwo` files
 * (or the objects) stay in DIR, and the outputs name them by path (`tempsDirNamed`).
 */
function isTempsDir(z: string): boolean {
  return z.startsWith('temps-dir=');
}

/** The dir the call's `-Z temps-dir` names (its last), as given; undefined without one. */
export function tempsDirOf(inv: Pick<Invocation, 'unstable'>): string | undefined {
  const z = inv.unstable.filter(isTempsDir).pop();
  return z === undefined ? undefined : z.slice('temps-dir='.length);
}

/** `args` less each `-Z temps-dir=…` (`-Ztemps-dir=…`, `-Z temps-dir=…`, `_` spellings too). */
export function withoutTempsDir(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-Z' && i + 1 < args.length && isTempsDir(optionSpelled(args[i + 1]!))) i++;
    else if (!(a.startsWith('-Z') && a.length > 2 && isTempsDir(optionSpelled(a.slice(2))))) out.push(a);
  }
  return out;
}

/**
 * Whether the call's outputs name files it leaves in its temps dir: `-C split-debuginfo=packed` or
 * `unpacked`, with debug info, in a call that writes code. Its binary named the `.dwo` files there
 * (a plain rustc's differed from one built without the option); a result could not hold them.
 */
export function tempsDirNamed(inv: Invocation): boolean {
  const sd = inv.codegen.get('split-debuginfo');
  return inv.unstable.some(isTempsDir) && (sd === 'packed' || sd === 'unpacked') && hasDebuginfo(inv) && writesCode(inv);
}
