import { readFileSync } from 'node:fs';
import { gatedOption, plainAllowsFeatures, type Invocation } from '@splitcache/rustc';
import { inputOnDisk } from './inputPath.js';

/** A crate attribute `#![feature(…)]` at the start of a line (where inner attributes stand). */
const FEATURE_ATTRIBUTE = /^[ \t]*#![ \t]*\[[ \t]*feature[ \t]*\(/m;

/**
 * Why a crate that links must run plainly on a compiler whose plain call refuses unstable
 * features (a stable rustc without RUSTC_BOOTSTRAP), or undefined. The split halves run with
 * RUSTC_BOOTSTRAP=1:
 * - `unstable-flag`: the call's own -Z flags, which the halves would take;
 * - `unstable-option`: an option a stable rustc takes only with `-Z unstable-options`, which the
 *   halves pass for the mangling pin (`--env-set`, `-C linker-features`, gatedOptions.ts);
 * - `unstable-features`: a `#![feature]` in the root source. The -Zno-link half is fenced
 *   (-Zallow-features=, splitPlan.ts) and fails too, but with E0725 and, for a library feature
 *   such as `test`, an E0658 for each use of it (a `#[bench]` file on stable: five errors where a
 *   plain call gives one E0554). The plain call fails as without splitcache, word for word, and
 *   nothing is lost: no such call succeeds to be stored. A `#![cfg_attr(…, feature(…))]` is not
 *   looked at (its cfg decides, and the fence still stands).
 */
export function featuresRefused(inv: Invocation, cwd: string, release: string, bootstrap: string | undefined): 'unstable-flag' | 'unstable-option' | 'unstable-features' | undefined {
  if (plainAllowsFeatures(release, bootstrap, inv.crateName)) return undefined;
  if (unstableFlagRefused(inv, release, bootstrap)) return 'unstable-flag';
  if (gatedOption(inv)) return 'unstable-option';
  let text: string;
  try {
    text = readFileSync(inputOnDisk(cwd, inv.input!), 'utf8');
  } catch {
    return undefined; // the key's digest of it reports what is wrong
  }
  return FEATURE_ATTRIBUTE.test(text) ? 'unstable-features' : undefined;
}

/**
 * `unstable-flag` where a plain call refuses the call's -Z flags (a stable rustc without
 * RUSTC_BOOTSTRAP), for a crate cached whole too: rustc refuses them before it does anything
 * else, and so must the call, run plainly. Looked up, it was keyed with options that some -Z
 * make no difference to (terminalUrls.ts), and a lib's `-Ztemps-dir` was made before rustc
 * refused it, where a plain rustc makes none (tempsDirMade.ts).
 */
export function unstableFlagRefused(inv: Invocation, release: string, bootstrap: string | undefined): 'unstable-flag' | undefined {
  return inv.unstable.length > 0 && !plainAllowsFeatures(release, bootstrap, inv.crateName) ? 'unstable-flag' : undefined;
}
