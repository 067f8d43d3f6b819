import { readFileSync } from 'node:fs';
import type { Invocation } from '@splitcache/rustc';
import { inputOnDisk } from './inputPath.js';

/** An inner attribute naming the crate's type, `#![crate_type = "lib"]`, under a `cfg_attr` or not. */
const CRATE_TYPE_ATTRIBUTE = /#![ \t]*\[[^\]\n]*\bcrate_type\b/;

/**
 * `crate-type-attr` where a call gives no `--crate-type` and its root source names its own:
 * rustc takes the attribute, a lib then, where the call's arguments alone read as a bin (rustc's
 * default). Split as a bin, such a lib's rlib came out with another crate hash than a plain
 * build's (a hunting helper's repro: a Makefile's `rustc --crate-name attr lib.rs`), so it
 * runs plainly. Cargo always passes `--crate-type`.
 */
export function namesOwnCrateType(inv: Invocation, cwd: string): 'crate-type-attr' | undefined {
  if (inv.crateTypes.length > 0 || inv.test) return undefined;
  try {
    return CRATE_TYPE_ATTRIBUTE.test(readFileSync(inputOnDisk(cwd, inv.input!), 'utf8')) ? 'crate-type-attr' : undefined;
  } catch {
    return undefined; // the key's digest of it reports what is wrong
  }
}
