import { readFile } from 'node:fs/promises';
import type { PrefixTable } from '@splitcache/paths';
import { inputOnDisk } from './inputPath.js';

/**
 * Whether a crate's absolute inputs may be recorded under placeholders.
 *
 * An input dep-info names by absolute path under a prefix of this checkout
 * (`<cwd>/data.txt`) is expanded, in another checkout, to that checkout's
 * file. That is right where the path was made from the checkout it is built
 * in: `include_str!(concat!(env!("CARGO_MANIFEST_DIR"), …))`, OUT_DIR's
 * generated sources, a proc-macro that joins CARGO_MANIFEST_DIR to a file it
 * embeds (pest's grammars, askama's templates), a profile named in RUSTFLAGS.
 * It is wrong where the crate's own source names the path itself
 * (`include_str!("/ci/a/data.txt")`, `#[path = "/…"]`): every checkout's rustc
 * reads that one file, while another checkout's lookup checked its own copy,
 * and a sibling checkout whose copy was unchanged hit after the named file
 * changed (a helper's repro: the binary printed the old content).
 *
 * The two can't be told apart by the path, only by where it is written. So a
 * crate whose own sources (the inputs dep-info names relative to the call's
 * directory, and those under an absolute crate root's directory) hold the
 * path of a prefix one of its absolute inputs was put under is not stored
 * (`absolute-input`). A path written in a generated file (OUT_DIR) needs no
 * such care: that file's content follows the checkout, and its digest keys it.
 * A path split across literals (`concat!("/ci/a", "/data.txt")`) is caught by
 * its prefix as well; one spelled with escapes is not. The sysroot is left
 * out: the toolchain is keyed, and its files are its own wherever it is.
 * Checked against anchors given by the arguments and env-deps first, which
 * a `-L native=<package dir>` or the README idiom beside a literal include
 * opened again to the wrong hit, and which refused pest-style crates.
 */
export async function namesItsCheckout(inputs: readonly string[], table: PrefixTable, cwd: string, root: string | undefined): Promise<string | undefined> {
  // The prefixes under which an absolute input was put.
  const prefixes = new Set<string>();
  for (const input of inputs) {
    if (!input.startsWith('/')) continue;
    // The one it is normalised under: the longest.
    let under: { name: string; path: string } | undefined;
    for (const e of table.entries) {
      const path = e.path.replace(/\/+$/, '');
      if ((input === path || input.startsWith(`${path}/`)) && path.length > (under?.path.length ?? -1)) under = { name: e.name, path };
    }
    if (under && under.name !== 'sysroot') prefixes.add(under.path);
  }
  if (prefixes.size === 0) return undefined;
  const rootDir = root?.startsWith('/') ? root.slice(0, root.lastIndexOf('/') + 1) : undefined;
  const own = inputs.filter((p) => !p.startsWith('/') || (rootDir !== undefined && p.startsWith(rootDir)));
  const needles = [...prefixes].map((p) => Buffer.from(p));
  for (const file of own) {
    const bytes = await readFile(inputOnDisk(cwd, file)).catch(() => undefined);
    if (!bytes) continue;
    for (const needle of needles) if (holdsPath(bytes, needle)) return file;
  }
  return undefined;
}

/** Whether `bytes` hold `path` as a path: followed by a `/`, or by a character no path name goes on with. */
function holdsPath(bytes: Buffer, path: Buffer): boolean {
  for (let at = bytes.indexOf(path); at >= 0; at = bytes.indexOf(path, at + 1)) {
    const next = bytes[at + path.length];
    if (next === undefined || next === 0x2f || !/[A-Za-z0-9._~+-]/.test(String.fromCharCode(next))) return true;
  }
  return false;
}
