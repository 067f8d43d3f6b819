import { readFileSync } from 'node:fs';
import type { Invocation } from '@splitcache/rustc';
import { inputOnDisk } from './inputPath.js';

/**
 * Whether a crate that links may ask for the one warning its link half gives of its own, the
 * linker's output (the `linker_messages` lint, allowed by default): where its arguments
 * (`-W linker-messages`, `[lints]` in Cargo.toml, `-Zcrate-attr`) or its root source
 * (`#![warn(linker_messages)]`) name the lint. Otherwise the link half runs with `-A warnings`
 * (splitPlan.ts quietLink), so that what the `-Zno-link` half said about the call's options is
 * not said twice. Any mention in the root source counts, as `crate_type` does (crateTypeAttr.ts):
 * a needless doubled warning is the whole cost.
 */
export function asksForLinkerMessages(inv: Invocation, cwd: string): boolean {
  if (inv.args.some((a) => /linker[-_]messages/.test(a))) return true;
  try {
    return readFileSync(inputOnDisk(cwd, inv.input!), 'latin1').includes('linker_messages');
  } catch {
    return true; // unread: the key's digest of it reports what is wrong
  }
}
