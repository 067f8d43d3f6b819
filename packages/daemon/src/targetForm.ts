import { KeyBuilder } from '@splitcache/hash';
import { placeholderFor } from '@splitcache/paths';
import type { ManifestKey } from './manifestKey.js';

/** Each real form with the given one the key reads it as: the target dir's and its profile dirs' (profileDirs.ts). */
const AS_GIVEN: [string, string][] = [
  ['target_real', 'target'],
  ['profile_real', 'profile'],
  ['triple_profile_real', 'triple_profile'],
].map(([real, given]) => [placeholderFor(real!), placeholderFor(given!)]);

/**
 * The key, with the target dir's real form read as its given one. cargo gives rustc the
 * target dir as it was named (`CARGO_TARGET_DIR=../t` reaches rustc as `/ws/../t`), but a
 * build script's OUT_DIR resolved, so its `rustc-link-search=native=$OUT_DIR` normalises as
 * `<target_real>/…` there, and as `<target>/…` where the target dir is named plainly (the
 * two are one path then, and the first name given wins: prefixes.ts). Both name the target
 * dir: every crate under such a build script (a `-sys` crate's dependants) missed between a
 * checkout whose target dir was named with `..` and one whose was not. Only the key reads
 * them as one: what is stored keeps each form, expanded to its own.
 */
export function oneTargetForm(k: KeyBuilder): Omit<ManifestKey, 'freeFroms'> {
  const keyed = new KeyBuilder();
  for (const [name, value] of k.components()) keyed.add(asGiven(name), asGiven(value));
  return { key: keyed.digest(), components: keyed.components().map(([a, b]) => [a, b]) };
}

/** A key component's text with the target dir's real forms read as the given ones, as oneTargetForm reads it. */
export const asGiven = (s: string): string => AS_GIVEN.reduce((t, [real, given]) => (t.includes(real) ? t.replaceAll(real, given) : t), s);
