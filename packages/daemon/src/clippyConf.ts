import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Invocation } from '@splitcache/rustc';
import { inputOnDisk } from './inputPath.js';
import { realPathOf } from './prefixes.js';

const NAMES = ['.clippy.toml', 'clippy.toml'];

/**
 * The configuration file clippy-driver reads for a call, found the way it
 * looks: `.clippy.toml`, then `clippy.toml`, in CLIPPY_CONF_DIR (else
 * CARGO_MANIFEST_DIR, else the working directory), then in each directory
 * above it up to the root. Undefined when there is none.
 *
 * clippy lists the file it read in dep-info, but where it read none, nothing
 * records that a file could appear: the key names the file found, or none
 * (manifestKey.ts, item 13), so a new clippy.toml is a miss. `shadowed`: the
 * other name beside it, which clippy warns it ignores (`using config file
 * …/.clippy.toml, …/clippy.toml will be ignored`): a hit stored without that
 * warning would show none of it.
 */
export function clippyConfFile(env: Record<string, string>, cwd: string): { file: string; shadowed?: string } | undefined {
  // From the dir with its links resolved, as clippy climbs it: from a checkout reached through a link,
  // the link's own parents were searched, and a clippy.toml clippy read was in no key (a helper's repro).
  let dir = realPathOf(inputOnDisk(cwd, env.CLIPPY_CONF_DIR ?? env.CARGO_MANIFEST_DIR ?? '.'));
  const isFile = (file: string) => statSync(file, { throwIfNoEntry: false })?.isFile() === true;
  for (;;) {
    const found = NAMES.map((name) => join(dir, name)).filter(isFile);
    if (found.length > 0) return found.length > 1 ? { file: found[0]!, shadowed: found[1]! } : { file: found[0]! };
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/**
 * The lints of clippy's `cargo` group, and the group: they read the manifests and Cargo.lock
 * (through `cargo metadata`). A name ends where no letter, digit or `_<letter>` follows: in
 * CLIPPY_ARGS it runs into `__CLIPPY_HACKERY__`, its separator.
 */
const CARGO_LINTS = /clippy::(cargo|cargo_common_metadata|multiple_crate_versions|negative_feature_names|redundant_feature_names|wildcard_dependencies)(?![a-z0-9]|_[a-z])/;

/**
 * Whether a call through clippy-driver may run the lints of clippy's `cargo` group: its
 * arguments (a `[lints.clippy]` table cargo turns into them), CLIPPY_ARGS (where `cargo clippy
 * -- -D clippy::cargo_common_metadata` puts its own) or its root source file
 * (`#![warn(clippy::cargo)]`) name one. They lint what `cargo
 * metadata` says of every package, its manifest's fields and the lock's versions, and nothing
 * of that is in dep-info: such a call runs plainly. Before, a hit passed a lint gate the
 * manifest then failed (`-D clippy::cargo_common_metadata` after `keywords` went).
 */
export function runsCargoLints(inv: Invocation, cwd: string, env: Record<string, string>): boolean {
  if (inv.args.some((a) => CARGO_LINTS.test(a)) || CARGO_LINTS.test(env.CLIPPY_ARGS ?? '')) return true;
  try {
    return CARGO_LINTS.test(readFileSync(inputOnDisk(cwd, inv.input!), 'latin1'));
  } catch {
    return false;
  }
}
