import { open } from 'node:fs/promises';
import { PLACEHOLDER_OPEN, placeholderFor, type PrefixTable } from '@splitcache/paths';
import type { Invocation } from '@splitcache/rustc';
import { externFiles } from './includeDirUse.js';
import { inputOnDisk } from './inputPath.js';
import { PathSearch } from './pathSearch.js';
import { unpinned } from './profileDirs.js';

/**
 * Absolute inputs under this checkout, and how a result records them.
 *
 * An input dep-info names by absolute path under a prefix of this checkout
 * (`<cwd>/data.txt`) is expanded, in another checkout, to that checkout's
 * file. That is right where the path was made from the checkout it is built
 * in: `include_str!(concat!(env!("CARGO_MANIFEST_DIR"), …))`, OUT_DIR's
 * generated sources, a profile named in RUSTFLAGS. It is wrong where the path
 * is fixed: written in a source, in a dependency's `macro_rules!` (even behind
 * a re-export), in a file a build script copies into OUT_DIR, in a `[env]`
 * value of `.cargo/config.toml`, or put together by a proc-macro from a
 * constant. Every checkout whose copy of that text is the same (its digest is
 * keyed) reads that one file, while another checkout's lookup checked its own
 * copy: a sibling checkout whose copy was unchanged hit after the named file
 * changed, and printed the old content (helpers' repros, five shapes).
 *
 * Which way rustc reached a path can't be told from dep-info. So an input is
 * recorded under its placeholder alone only where something the key holds in
 * its normalised form names the place it is in (an anchor: an absolute crate
 * root's directory, an `--extern` file, a `-L dependency=` dir, a `-C
 * profile-use` file, an OUT_DIR or CARGO_MANIFEST_DIR env-dep), and no text
 * (an input or `--extern` file, an env-dep's value) names its whole path. Any
 * other is also recorded as it is (`both`), with one digest: a lookup elsewhere
 * hits only where both files are alike, whichever one its rustc reads, and the
 * dep-info a hit writes names both to cargo. On another machine, where the raw
 * path is not there, that is a miss: a pest-style proc-macro, which joins
 * CARGO_MANIFEST_DIR to a file as it expands (no env-dep says so), keeps its
 * hits between checkouts on one machine only. A crate whose own sources
 * (inputs named relative to the call's directory, or under an absolute root's
 * directory) hold the path of its checkout (cwd or package dir) while an input
 * under it would be recorded under its placeholder alone is not stored
 * (`refused`, reason `absolute-input`): the path may be a literal split by
 * `concat!`. Escapes in a literal are not seen. The sysroot is left out: the
 * toolchain is keyed, and its files are its own wherever it is.
 *
 * What is recorded under its placeholder alone is `near`: also checked at its
 * path as it was, where a file is there (nearInputs.ts). The texts can't tell
 * every fixed path (a literal split inside the checkout's path, an env-dep
 * naming its directory, a split literal in a copied file or a dependency's
 * macro: a helper's repros against this rule); on the producer's machine that
 * check catches them whatever made them.
 */
export async function recordedInputs(
  inputs: readonly string[], table: PrefixTable, cwd: string, inv: Invocation,
  envDeps: readonly { name: string; value?: string }[], recorded: readonly (readonly [string, string | null])[],
): Promise<{ both: Set<string>; near: Set<string>; refused?: string }> {
  // Each absolute input the table puts under a placeholder, but the sysroot's.
  const under = new Set(inputs.filter((p) => p.startsWith('/') && p !== table.normalise(p) && !table.normalise(p).startsWith(SYSROOT)));
  const both = new Set<string>();
  if (under.size === 0) return { both, near: new Set() };
  const externs = externFiles(inv, cwd);
  const anchors = anchorsOf(inv, externs, table, recorded);
  const rootDir = inv.input?.startsWith('/') ? inv.input.slice(0, inv.input.lastIndexOf('/') + 1) : undefined;
  const own = new Set(inputs.filter((p) => !p.startsWith('/') || (rootDir !== undefined && p.startsWith(rootDir))));
  const checkouts = table.entries.filter((e) => e.name === 'cwd' || e.name === 'pkg').map((e) => e.path.replace(/\/+$/, ''));
  const holding = new Map<string, string>();
  for (const path of under) if (!isUnder(table.normalise(path), anchors)) both.add(path);
  const named = new PathSearch([...under].filter((p) => !both.has(p)), table.entries.map((e) => e.path));
  const checkoutNamed = new PathSearch(checkouts, []);
  const keep = Math.max(named.maxLength, checkoutNamed.maxLength) + 1;
  const look = (input: string | undefined, bytes: Buffer, more: boolean) => {
    for (const path of named.held(bytes, both, more)) both.add(path);
    if (input === undefined || !own.has(input)) return;
    for (const checkout of checkoutNamed.held(bytes, undefined, more)) if (!holding.has(checkout)) holding.set(checkout, input);
  };
  // A value recorded normalised names an included file made from this checkout (includedPathEnv.ts), as OUT_DIR does.
  const normalised = new Set(recorded.filter(([, v]) => v?.startsWith(PLACEHOLDER_OPEN)).map(([n]) => n));
  for (const e of envDeps) if (e.value !== undefined && !normalised.has(e.name)) look(undefined, Buffer.from(e.value), false);
  for (const [input, file] of [...inputs.map((p): [string, string] => [p, inputOnDisk(cwd, p)]), ...externs.map((f): [undefined, string] => [undefined, f])]) {
    await eachWindow(file, keep, (bytes, more) => look(input, bytes, more));
  }
  // A checkout's path in an own source, and an input under it recorded under its placeholder alone: maybe a literal split.
  // Not a crate file rustc found through the call's own --extern or `-L dependency=` paths (foundCrate).
  const found = foundCrate(inv, externs);
  const near = new Set([...under].filter((p) => !both.has(p) && !found(p)));
  for (const path of near) {
    for (const [checkout, source] of holding) if (path.startsWith(`${checkout}/`)) return { both, near, refused: source };
  }
  // The rest is also checked at its path as it is, where a file is there (nearInputs.ts).
  return { both, near };
}

/** The places, in normalised form, that the key's own normalised arguments and env-deps name. */
function anchorsOf(inv: Pick<Invocation, 'input' | 'libPaths' | 'codegen' | 'unstable'>, externs: readonly string[], table: PrefixTable, recorded: readonly (readonly [string, string | null])[]): string[] {
  const given: string[] = [];
  if (inv.input?.startsWith('/')) given.push(inv.input.slice(0, inv.input.lastIndexOf('/')));
  given.push(...externs);
  for (const l of inv.libPaths) if (l.kind === 'dependency' && l.path.startsWith('/')) given.push(l.path);
  const profile = inv.codegen.get('profile-use') ?? inv.unstable.filter((z) => z.startsWith('profile-sample-use=')).pop()?.slice('profile-sample-use='.length);
  if (profile?.startsWith('/')) given.push(profile);
  const anchors = given.map((p) => table.normalise(p));
  for (const [name, value] of recorded) {
    if (value === null) continue;
    if (value.startsWith(PLACEHOLDER_OPEN)) anchors.push(unpinned(value));
    // Recorded exactly, OUT_DIR or CARGO_MANIFEST_DIR still names its own prefix: a lookup elsewhere misses on the value first.
    else if ((name === 'OUT_DIR' || name === 'CARGO_MANIFEST_DIR') && value.startsWith('/')) anchors.push(table.normalise(value.replace(/\/+$/, '')));
  }
  return anchors.filter((a) => a.startsWith(PLACEHOLDER_OPEN));
}

/**
 * Whether an input is a crate file rustc found through the call's own paths: an `--extern` file, or an
 * `.rlib`, `.rmeta` or `.so` in a `-L dependency=` dir, which dep-info names under `-Zbinary-dep-depinfo`
 * (nightly cargo's, rustc's own bootstrap's). No fixed path reaches one, and the key holds each
 * checkout's form of the dir; checked at the producer's path as well (nearInputs.ts), a hit in a
 * second worktree named the first one's target dir to cargo, which built the crate again whenever
 * that dir changed or went, and missed whenever the first was built at another commit.
 */
function foundCrate(inv: Pick<Invocation, 'libPaths'>, externs: readonly string[]): (path: string) => boolean {
  const files = new Set(externs);
  const dirs = new Set(inv.libPaths.filter((l) => l.kind === 'dependency' && l.path.startsWith('/')).map((l) => l.path.replace(/\/+$/, '')));
  return (path) => files.has(path) || (/\.(rlib|rmeta|so)$/.test(path) && dirs.has(path.slice(0, path.lastIndexOf('/'))));
}

function isUnder(normalised: string, anchors: readonly string[]): boolean {
  return anchors.some((a) => normalised === a || normalised.startsWith(a.endsWith('/') ? a : `${a}/`));
}

const SYSROOT = placeholderFor('sysroot');

/** Files larger than this are not looked through (an `include_bytes!` of a disk image). */
const TEXT_MAX_BYTES = 64 << 20;
/** Larger files are read a window at a time: an `--extern` rlib of 24 MB was read whole into memory for each crate using it. */
const WINDOW_BYTES = 1 << 20;

/** Calls `look` with each window of the file (each after the first starts with the `keep` bytes before it); nothing for a file gone or over TEXT_MAX_BYTES. */
async function eachWindow(path: string, keep: number, look: (bytes: Buffer, more: boolean) => void): Promise<void> {
  let h;
  try {
    h = await open(path, 'r');
  } catch {
    return;
  }
  try {
    const { size } = await h.stat();
    if (size > TEXT_MAX_BYTES) return;
    const buf = Buffer.allocUnsafe(Math.min(size, WINDOW_BYTES) + keep);
    let kept = 0;
    for (let at = 0; ; ) {
      const { bytesRead } = await h.read(buf, kept, buf.length - kept, at);
      at += bytesRead;
      const more = bytesRead > 0 && at < size;
      const end = kept + bytesRead;
      look(buf.subarray(0, end), more);
      if (!more) return;
      kept = Math.min(keep, end);
      buf.copyWithin(0, end - kept, end);
    }
  } catch {
    /* unreadable meanwhile: its digest won't match either */
  } finally {
    await h.close();
  }
}
