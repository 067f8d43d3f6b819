import { isAbsolute, relative } from 'node:path';
import { placeholderFor, type PrefixTable } from '@splitcache/paths';

/** `--remap-path-prefix=FROM=TO`, or `--remap-path-prefix FROM=TO` as namedArgs() joins a flag and its value. */
const FLAG = /^--remap-path-prefix[= ]/;

/**
 * A keyed argument's text with its machine-specific prefixes replaced (item 3 of the key).
 * A user's `--remap-path-prefix` names its FROM path right before an `=`, which ends no path
 * in free text (a sibling dir may be called `ws=old`), so normaliseText left the checkout's
 * own path exact in `--remap-path-prefix=/ci/ws=.`: every crate of such a build missed in a
 * checkout elsewhere, though the flag makes its outputs the same there. rustc splits the
 * value at its last `=`, and so does this; FROM and TO are then each normalised alone.
 */
export function normaliseKeyedArg(text: string, table: PrefixTable): string {
  const flag = FLAG.exec(text)?.[0];
  const remap = flag === undefined ? undefined : splitRemap(text.slice(flag.length));
  if (!remap) return table.normaliseText(text);
  return flag + normaliseFrom(remap.from, table) + '=' + table.normaliseText(remap.to);
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
  const normalised = table.normaliseText(from);
  const entry = (name: string) => table.entries.find((e) => e.name === name)?.path;
  const cwd = entry('cwd');
  const target = entry('target');
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
  if (from.startsWith('/') !== path.startsWith('/')) return false;
  const [f, p] = [components(from), components(path)];
  return f.length <= p.length && f.every((c, i) => c === p[i]);
}

function components(path: string): string[] {
  return path.split('/').filter((c) => c !== '' && c !== '.');
}
