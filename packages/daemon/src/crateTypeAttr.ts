import { readFileSync } from 'node:fs';
import type { Invocation } from '@splitcache/rustc';
import { inputOnDisk } from './inputPath.js';

/**
 * `crate-type-attr` where a call gives no `--crate-type` and may name its crate's type another
 * way: rustc takes `#![crate_type = "lib"]` in the root source (or `-Zcrate-attr=crate_type=…`),
 * a lib then, where the call's arguments alone read as a bin (rustc's default). Split as a bin,
 * such a lib's rlib came out with another crate hash than a plain build's (a hunting helper's
 * repro: a Makefile's `rustc --crate-name attr lib.rs`), so it runs plainly. Cargo always passes
 * `--crate-type`. Any `crate_type` in the root source counts: an attribute over lines, after
 * comments, or behind literals a scan must step over whole was missed by each reading tried, and
 * a scan of literals hung the daemon on a source cut short (reviews' repros); a needless plain
 * compile of a source that only mentions it is the whole cost.
 */
export function namesOwnCrateType(inv: Invocation, cwd: string): 'crate-type-attr' | undefined {
  if (inv.crateTypes.length > 0 || inv.test) return undefined;
  if (inv.unstable.some((z) => z.startsWith('crate-attr=') && z.includes('crate_type'))) return 'crate-type-attr';
  try {
    return /\bcrate_type\b/.test(readFileSync(inputOnDisk(cwd, inv.input!), 'latin1')) ? 'crate-type-attr' : undefined;
  } catch {
    return undefined; // the key's digest of it reports what is wrong
  }
}
