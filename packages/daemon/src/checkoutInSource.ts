import { open } from 'node:fs/promises';
import type { PrefixTable } from '@splitcache/paths';
import { inputOnDisk } from './inputPath.js';

/**
 * Absolute inputs under this checkout, and the text that may name them.
 *
 * An input dep-info names by absolute path under a prefix of this checkout
 * (`<cwd>/data.txt`) is expanded, in another checkout, to that checkout's
 * file. That is right where the path was made from the checkout it is built
 * in: `include_str!(concat!(env!("CARGO_MANIFEST_DIR"), …))`, OUT_DIR's
 * generated sources, a proc-macro that joins CARGO_MANIFEST_DIR to a file it
 * embeds (pest's grammars, askama's templates), a profile named in RUSTFLAGS.
 * It is wrong where a text names the path itself (`include_str!("/ci/a/data.txt")`
 * in a source, in a dependency's `macro_rules!`, in a file a build script copies
 * into OUT_DIR): every checkout whose copy of that text is the same (its digest
 * is keyed) reads that one file, while another checkout's lookup checked its own
 * copy, and a sibling checkout whose copy was unchanged hit after the named file
 * changed (helpers' repros: the binary printed the old content).
 *
 * A path can be reached both ways, and which way rustc took can't be told. So
 * a path whose text stands in one of the crate's inputs or `--extern` files is
 * `named`: the result records it both under its placeholder and as it is, with
 * one digest, so a lookup elsewhere must find both files alike, whichever one
 * its rustc reads; and the dep-info a hit writes lists both to cargo. A path
 * split across literals (`concat!("/ci/a", "/data.txt")`) is not found that
 * way: a crate whose own sources (inputs named relative to the call's directory,
 * or under an absolute crate root's directory) hold the path of the checkout
 * (its cwd or package dir) while one of its inputs is under it is not stored
 * (`refused`, reason `absolute-input`). One spelled with escapes is not seen.
 * The sysroot is left out: the toolchain is keyed, and its files are its own.
 */
export async function namedInputs(
  inputs: readonly string[], table: PrefixTable, cwd: string, root: string | undefined, externs: readonly string[],
): Promise<{ named: Set<string>; refused?: string }> {
  const named = new Set<string>();
  // Each absolute input and the prefix it is normalised under (the longest).
  const under = new Map<string, { name: string; path: string }>();
  for (const input of inputs) {
    if (!input.startsWith('/')) continue;
    let best: { name: string; path: string } | undefined;
    for (const e of table.entries) {
      const path = e.path.replace(/\/+$/, '');
      if ((input === path || input.startsWith(`${path}/`)) && path.length > (best?.path.length ?? -1)) best = { name: e.name, path };
    }
    if (best && best.name !== 'sysroot') under.set(input, best);
  }
  if (under.size === 0) return { named };
  const rootDir = root?.startsWith('/') ? root.slice(0, root.lastIndexOf('/') + 1) : undefined;
  const own = new Set(inputs.filter((p) => !p.startsWith('/') || (rootDir !== undefined && p.startsWith(rootDir))));
  const checkouts = new Set([...under.values()].filter((u) => u.name === 'cwd' || u.name === 'pkg').map((u) => u.path));
  // The own sources that hold a checkout's path, by that path.
  const holding = new Map<string, string>();
  const files: [string, string | undefined][] = [...inputs.map((p): [string, string] => [inputOnDisk(cwd, p), p]), ...externs.map((e): [string, undefined] => [e, undefined])];
  for (const [file, input] of files) {
    const bytes = await readUpTo(file, TEXT_MAX_BYTES);
    if (!bytes) continue;
    for (const path of under.keys()) if (!named.has(path) && holdsPath(bytes, Buffer.from(path))) named.add(path);
    if (input === undefined || !own.has(input)) continue;
    for (const checkout of checkouts) if (!holding.has(checkout) && holdsPath(bytes, Buffer.from(checkout))) holding.set(checkout, input);
  }
  // A checkout's path in an own source, and an input under it that no text names whole: maybe a literal split.
  for (const [path, u] of under) {
    const source = holding.get(u.path);
    if (source !== undefined && !named.has(path)) return { named, refused: source };
  }
  return { named };
}

/** Files larger than this are not looked through (an `include_bytes!` of a disk image). */
const TEXT_MAX_BYTES = 64 << 20;

async function readUpTo(path: string, max: number): Promise<Buffer | undefined> {
  try {
    const h = await open(path, 'r');
    try {
      const { size } = await h.stat();
      return size > max ? undefined : await h.readFile();
    } finally {
      await h.close();
    }
  } catch {
    return undefined;
  }
}

/** Whether `bytes` hold `path` as a path: followed by a `/`, or by a character no path name goes on with. */
function holdsPath(bytes: Buffer, path: Buffer): boolean {
  for (let at = bytes.indexOf(path); at >= 0; at = bytes.indexOf(path, at + 1)) {
    const next = bytes[at + path.length];
    if (next === undefined || next === 0x2f || !/[A-Za-z0-9._~+-]/.test(String.fromCharCode(next))) return true;
  }
  return false;
}
