import { isAbsolute, relative } from 'node:path';
import { placeholderFor, type PrefixTable } from '@splitcache/paths';
import type { Invocation } from '@splitcache/rustc';
import { inputOnDisk } from './inputPath.js';
import { splitNear } from './nearInputs.js';
import { PROFILE_PREFIXES } from './profileDirs.js';

/** `--remap-path-prefix=FROM=TO`, or `--remap-path-prefix FROM=TO` as namedArgs() joins a flag and its value. */
const FLAG = /^--remap-path-prefix[= ]/;
/** `-Zremap-cwd-prefix=TO` (or `-Z remap_cwd_prefix=TO`): a remap whose FROM is the working dir, given by TO alone. */
const CWD_TO = /^-Z ?remap[-_]cwd[-_]prefix=/;

/**
 * A keyed argument's text with its machine-specific prefixes replaced (item 3 of the key).
 * A user's `--remap-path-prefix` names its FROM path right before an `=`, which ends no path
 * in free text (a sibling dir may be called `ws=old`), so normaliseText left the checkout's
 * own path exact in `--remap-path-prefix=/ci/ws=.`: every crate of such a build missed in a
 * checkout elsewhere, though the flag makes its outputs the same there. rustc splits the
 * value at its last `=`, and so does this; FROM is then normalised alone. TO is kept as given:
 * rustc writes it into the outputs (`file!()`, panic locations, debuginfo), where no rewriting
 * reaches it, so normalised, `--remap-path-prefix=src=<checkout>/mapped` in a second checkout hit
 * with a binary whose `file!()` named the first (a wrong-hits sweep's, bench/sweep). A TO naming
 * no prefix's path (`.`, `/build`, cargo's trim-paths) keys as it did.
 */
export function normaliseKeyedArg(text: string, table: PrefixTable, free: readonly string[] = []): string {
  // Its TO is written into the outputs as a --remap-path-prefix's is: normalised, one naming the
  // checkout (`-Zremap-cwd-prefix=<checkout>/x`) let a second checkout hit with a binary whose
  // debuginfo named the first, beside a --remap-path-prefix that made all else the same.
  if (CWD_TO.test(text)) return text;
  const flag = FLAG.exec(text)?.[0];
  const remap = flag === undefined ? undefined : splitRemap(text.slice(flag.length));
  if (!remap) return table.normaliseText(text);
  return flag + (free.includes(remap.from) ? COVERS_NOTHING : normaliseFrom(remap.from, table)) + '=' + remap.to;
}

/** How the key holds a FROM of freeFroms(): one that rewrites nothing of the call's outputs, whatever it names. */
const COVERS_NOTHING = '<no path of the call>';

/** The table's prefixes a call's outputs can name (not the temp dir's, CARGO_HOME's or a base dir's, which hold others' paths). */
const OWN_PREFIX = new RegExp(`^(sysroot|cwd|pkg|registry|target|target_real|target_dir|out_dir|${PROFILE_PREFIXES.join('|')})$`);

/**
 * The absolute FROMs of the call's `--remap-path-prefix` flags that cover none of the paths the
 * key knows the call's outputs can name (its cwd in both forms, root source, out-dir, `-o` and
 * `--emit` paths, -L and --extern paths, sysroot, OUT_DIR, CARGO_MANIFEST_DIR, the table's own prefixes,
 * and the sysroot's source trees, `trees` (rustSource.ts: rustc maps std's paths into them with the
 * user's flags, and a symlinked one, as Debian's rust-src, lies outside the sysroot)) and lie under
 * none: such a flag rewrites nothing, so it is keyed as covering nothing (COVERS_NOTHING). CI's
 * `--remap-path-prefix=<checkout>=/build` with CARGO_TARGET_DIR outside the checkout is one for
 * every registry crate (built in its own dir): keyed as written, each missed in a second
 * checkout (a hunt: 8 hits of 72). Only dep-info names the other files rustc reads (a module,
 * an `include!`d file): a result whose inputs such a FROM covers is not stored, and one whose
 * recorded inputs a call's does is not served (freeFromCovers).
 */
export function freeFroms(inv: Invocation, cwd: string, realCwd: string, env: Record<string, string>, table: PrefixTable, sysroot: string, trees: readonly string[] = []): string[] {
  const froms = remapFroms(inv.args).filter((f) => isAbsolute(f));
  if (froms.length === 0) return froms;
  const given = [cwd, realCwd, sysroot, inv.input, inv.outDir, inv.outFile, inv.sysroot, env.OUT_DIR, env.CARGO_MANIFEST_DIR, ...inv.emit.map((e) => e.path), ...inv.libPaths.map((l) => l.path), ...inv.externs.map((e) => e.path), ...trees];
  const paths = [...given.filter((p): p is string => !!p).map((p) => inputOnDisk(cwd, p)), ...table.entries.filter((e) => OWN_PREFIX.test(e.name)).map((e) => e.path)];
  const pathForms = paths.map(forms);
  return froms.filter((f) => !related(forms(f), pathForms));
}

/** Whether one of `froms` (freeFroms') covers one of `inputs` (as dep-info names them, or as a result records them: placeholders expanded by `table`), from `cwd`. */
export function freeFromCovers(froms: readonly string[], inputs: readonly string[], cwd: string, table?: PrefixTable): boolean {
  if (froms.length === 0) return false;
  const fromForms = froms.map(forms);
  return inputs.some((p) => fromForms.some((f) => related(f, [forms(inputOnDisk(cwd, table ? table.expand(splitNear(p)?.path ?? p) : p))])));
}

/**
 * Whether a FROM covers one of `paths` or lies under it, each in its forms(). Split and folded once
 * per path: resolve() and a split per pair took 1.3 ms a call of 150 --extern paths, and 3.8 ms a
 * lookup of a result with 500 inputs.
 */
function related(from: string[][], paths: string[][][]): boolean {
  return paths.some((p) => from.some((f) => p.some((q) => startsWith(f, q) || startsWith(q, f))));
}

/** An absolute path's components as written (as rustc matches FROM) and, where it holds `..`, folded (where the file is), to be sure. */
function forms(path: string): string[][] {
  const written = components(path);
  if (!written.includes('..')) return [written];
  const folded: string[] = [];
  for (const c of written) {
    if (c === '..') folded.pop();
    else folded.push(c);
  }
  return [written, folded];
}

/** Whether `path`'s components begin with all of `prefix`'s. */
function startsWith(prefix: string[], path: string[]): boolean {
  return prefix.length <= path.length && prefix.every((c, i) => c === path[i]);
}

/** A `--remap-path-prefix` value's FROM and TO: split at its last `=`, as rustc splits it. */
function splitRemap(value: string): { from: string; to: string } | undefined {
  const eq = value.lastIndexOf('=');
  return eq < 0 ? undefined : { from: value.slice(0, eq), to: value.slice(eq + 1) };
}

/**
 * FROM normalised, or, where it holds the target dir and is not within the call's own directory,
 * as the target dir's ancestor (`@@sc:target@@/..`): a registry crate runs in its own package's
 * directory, so `--remap-path-prefix=<checkout>=/build` normalised as whatever broader prefix
 * held the checkout (the temp dir), or not at all, and every registry crate missed in a checkout
 * elsewhere. What such a crate writes under FROM is under the target dir, the same place in
 * either checkout. A member's call runs in the checkout: its FROM is `cwd`, as before.
 */
function normaliseFrom(from: string, table: PrefixTable): string {
  const entry = (name: string) => table.entries.find((e) => e.name === name)?.path;
  const keyed = fromAsKeyed(from, table.normaliseText(from), entry('cwd'), entry('target'));
  // rustc writes a file under FROM as TO joined with the rest of its path as written, so the
  // outputs name the place below FROM of the call's dir (its sources, its working dir in
  // debuginfo) and of OUT_DIR (code a build script wrote): /build/ws-a/… for a FROM above the
  // checkout, /build/out/debug/… for a target dir `out`. Keyed as placeholders alone, checkouts
  // beside each other, or target dirs of other names, were one key, and a hit named the other's.
  if (!isAbsolute(from)) return keyed;
  const below = (['cwd', 'out_dir'] as const).flatMap((name) => {
    const path = entry(name);
    const rest = path === undefined ? undefined : placeBelow(from, path);
    return rest?.length ? [`${name} ${rest.join('/')}`] : [];
  });
  return below.length > 0 ? `${keyed} (${below.join(', ')})` : keyed;
}

function fromAsKeyed(from: string, normalised: string, cwd: string | undefined, target: string | undefined): string {
  if (!target || !isAbsolute(from) || (cwd !== undefined && !relative(cwd, from).startsWith('..'))) return normalised;
  // By whole components as written, as rustc matches FROM: a target dir named with `..`
  // (`CARGO_TARGET_DIR=$PWD/../target`, a config's `target-dir = "../target"`) reaches rustc as
  // `/ci/ws/../target`, which `/ci/ws` covers, and its OUT_DIR files are remapped through it.
  // Resolved first (path.relative), it was no descendant, and every registry crate missed in a
  // checkout elsewhere (a hunt: 8 hits of 72).
  const down = components(target).length - components(from).length;
  if (!covers(from, target) || down === 0) return normalised;
  return placeholderFor('target') + '/..'.repeat(down);
}

/** The FROM of each `--remap-path-prefix` among `args`. */
export function remapFroms(args: readonly string[]): string[] {
  const froms: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = a === '--remap-path-prefix' ? args[++i] : FLAG.test(a) ? a.slice(a.indexOf('=') + 1) : undefined;
    const remap = value === undefined ? undefined : splitRemap(value);
    if (remap) froms.push(remap.from);
  }
  return froms;
}

/**
 * Whether a remap FROM covers `path`, as rustc matches them: by whole components, where `//`
 * and `/./` are one separator (`/ci//ws` covers `/ci/ws/src`). Compared as strings, a FROM so
 * spelt was taken for one that covers nothing, and keyed so (a review helper's repro).
 */
export function covers(from: string, path: string): boolean {
  return placeBelow(from, path) !== undefined;
}

/** The components of `path` below a FROM that covers it (covers()), as rustc joins them to TO; undefined where it does not. */
function placeBelow(from: string, path: string): string[] | undefined {
  if (from.startsWith('/') !== path.startsWith('/')) return undefined;
  const [f, p] = [components(from), components(path)];
  return startsWith(f, p) ? p.slice(f.length) : undefined;
}

function components(path: string): string[] {
  return path.split('/').filter((c) => c !== '' && c !== '.');
}

/**
 * Key item 18: whether a FROM covers the working directory as the kernel has it (what rustc writes
 * as debuginfo's comp_dir), and if so that directory's place below the last such FROM, the one
 * rustc applies: a FROM above the checkout writes its name (/build/ws-a), which 'remapped' alone
 * left out, and checkouts beside each other were one key.
 */
export function realCwdRemap(froms: readonly string[], realCwd: string): string {
  const from = froms.filter((f) => covers(f, realCwd)).pop();
  if (from === undefined) return 'as it is';
  const rest = placeBelow(from, realCwd)!;
  return rest.length > 0 ? `remapped (${rest.join('/')})` : 'remapped';
}
