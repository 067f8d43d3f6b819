import type { PrefixTable } from '@splitcache/paths';

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
  if (flag === undefined) return table.normaliseText(text);
  const value = text.slice(flag.length);
  const eq = value.lastIndexOf('=');
  if (eq < 0) return table.normaliseText(text);
  return flag + table.normaliseText(value.slice(0, eq)) + '=' + table.normaliseText(value.slice(eq + 1));
}
