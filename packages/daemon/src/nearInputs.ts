import { PLACEHOLDER_OPEN, type PrefixTable } from '@splitcache/paths';
import { inputOnDisk } from './inputPath.js';
import { statOf } from './isFile.js';

/**
 * An absolute input under the checkout that a result records under its
 * placeholder alone (checkoutInSource.ts: something the key holds normalised
 * names its place, and no text names it whole) is recorded a second time, as
 * `<placeholder path>\0<path as it was>` with the same digest: where a file
 * is at that path on the machine of a lookup, it must have that digest too.
 *
 * Whether rustc reached the path from the checkout it built in (a README
 * through CARGO_MANIFEST_DIR) or from a fixed path (a literal split by
 * `concat!`, an environment variable naming the checkout's directory, a
 * dependency's macro) can't be told from dep-info, and each rule that tried
 * to tell them apart from the crate's texts was beaten by a shape it did not
 * see: a sibling checkout hit while the file its rustc reads, the producer's,
 * had changed, and printed the old content (helpers' repros, four rounds). On
 * the producer's machine, where its checkout is, its file is now compared
 * whatever way the path was made; on another machine, where that path is not
 * there, the input is checked in the caller's checkout alone, as before, and
 * keeps its hits there.
 *
 * No path holds a NUL, so no other input reads as one; a daemon before this
 * one finds no file at such a path, and misses.
 */
const SEPARATOR = '\0';

export function nearInput(placeholderPath: string, raw: string): string {
  return `${placeholderPath}${SEPARATOR}${raw}`;
}

/** The two paths of such an input, or undefined for any other. */
export function splitNear(recorded: string): { path: string; raw: string } | undefined {
  const at = recorded.indexOf(SEPARATOR);
  return at < 0 ? undefined : { path: recorded.slice(0, at), raw: recorded.slice(at + 1) };
}

/** What is at the path as it was: none (nothing, or it can't be read), or whether it is a file. */
export function rawThere(raw: string): 'none' | 'file' | 'other' {
  const st = statOf(raw);
  return st === undefined ? 'none' : st.isFile() ? 'file' : 'other';
}

/** Whether the path as it was is the caller's own file: then the input's own entry checks it. */
export function rawIsOwn(near: { path: string; raw: string }, cwd: string, table: PrefixTable): boolean {
  return near.raw === inputOnDisk(cwd, table.expand(near.path));
}

/**
 * The paths as they were of a hit's such inputs where a file is there and it is not the caller's
 * own: the dep-info a hit writes names them too, so cargo sees a later change of the file a
 * fixed path would have its rustc read (a README through CARGO_MANIFEST_DIR then makes the
 * crate build again after the other checkout's README changed: a lookup, which misses if it
 * differs). Each with the caller's own file of that input, which the lookup found alike
 * (addChecksumTwins).
 */
export function nearElsewhere(inputs: readonly (readonly [string, string])[], cwd: string, table: PrefixTable): Map<string, string> {
  const out = new Map<string, string>();
  for (const [p] of inputs) {
    const near = splitNear(p);
    if (near && !rawIsOwn(near, cwd, table) && rawThere(near.raw) === 'file') out.set(near.raw, inputOnDisk(cwd, table.expand(near.path)));
  }
  return out;
}

/**
 * The inputs a result records as they are beside their placeholder (checkoutInSource.ts's
 * `both`: one digest, under two paths), each with the caller's file of the same digest, which
 * the lookup found alike: the dep-info of a hit in another checkout names both, and rustc wrote
 * a checksum line for the caller's alone (addChecksumTwins).
 */
export function recordedTwins(inputs: readonly (readonly [string, string])[], cwd: string, table: PrefixTable): Map<string, string> {
  const placed = new Map<string, string>();
  // Most entries record none: no path expanded for them.
  if (!inputs.some(([p]) => p.startsWith('/'))) return placed;
  for (const [p, d] of inputs) if (p.startsWith(PLACEHOLDER_OPEN) && !splitNear(p)) placed.set(d, inputOnDisk(cwd, table.expand(p)));
  const out = new Map<string, string>();
  for (const [p, d] of inputs) {
    const own = p.startsWith('/') ? placed.get(d) : undefined;
    if (own !== undefined && own !== p) out.set(p, own);
  }
  return out;
}
