import type { PrefixTable } from '@splitcache/paths';
import { basename, dirname } from 'node:path';
import { realPathOf } from './prefixes.js';

/** Where each prefix lands under SPLITCACHE_REMAP=1. The sysroot needs none: rustc already maps std's sources to /rustc/<hash>. */
const REMAPPED: Record<string, string> = {
  cwd: '.',
  registry: '/splitcache/registry',
  cargo_home: '/splitcache/cargo_home',
  target: '/splitcache/target',
  out_dir: '/splitcache/out_dir',
};

/**
 * `--remap-path-prefix` flags for the machine-specific prefixes, added when
 * the user opts in with SPLITCACHE_REMAP=1. With them, debuginfo and panic
 * locations no longer name the checkout, so a hit from another directory is
 * byte-identical to a local build with the same setting (not to a plain build
 * without it). rustc applies the last matching flag, so the longest prefix
 * goes last.
 *
 * A prefix reached through a symlink gets a flag for its real path too: the
 * table holds paths as cargo names them, while rustc writes its working
 * directory as the kernel has it (symlinks resolved) into debuginfo's
 * comp_dir and the coverage map. A checkout built through a link
 * (`cargo build --manifest-path link/Cargo.toml`, a registry directory named
 * by a link) kept its real path there, and a hit in another checkout carried
 * it (a helper's repro).
 */
export function remapArgs(table: PrefixTable, env: Record<string, string>): string[] {
  const flags: [string, string][] = [];
  const cwdTo = cwdMapping(table, env).to;
  for (const e of table.entries) {
    const to = e.name === 'cwd' ? cwdTo : REMAPPED[e.name];
    if (to === undefined) continue;
    flags.push([e.path, to]);
    const real = realPathOf(e.path);
    if (real !== e.path) flags.push([real, to]);
  }
  return flags.sort((a, b) => a[0].length - b[0].length).map(([from, to]) => `--remap-path-prefix=${from}=${to}`);
}

/**
 * Where the cwd goes (`to`; none: it is left to the other flags) and what key item 10 says of it
 * (`says`): one decision for both, so the key names every mapping the flags make.
 * - A registry crate's own package dir keeps its name under the registry's placeholder, as
 *   cargo's trim-paths keeps it. Mapped to `.`, as a checkout is, every registry crate's files
 *   came out as ./src/lib.rs, one file to a debugger and to llvm-cov (a helper's coverage report
 *   summed three crates' src/lib.rs in one row). Only a dir named `<name>-<version>`, as
 *   registries and directory sources name them: a workspace's root package built as another
 *   member's dependency is also built in its own dir with no CARGO_PRIMARY_PACKAGE, and mapped by
 *   its dir's name, a hit in another checkout named the first (a review's finding).
 * - A cwd under CARGO_HOME, a git dependency built in its checkout
 *   (`<CARGO_HOME>/git/checkouts/<repo>-<hash>/<rev>`), gets no flag: mapped to `.`, its files
 *   clashed with every other crate's ./src/lib.rs too. The registry entry's flag (the checkouts of
 *   its repository) keeps the revision's dir (`/splitcache/registry/<rev>/src/lib.rs`), the same
 *   on every machine, else CARGO_HOME's. The key names the path under CARGO_HOME: a checkout kept
 *   there has outputs, and keys, of its own.
 * - Any other cwd, a checkout, is `.`.
 */
function cwdMapping(table: PrefixTable, env: Record<string, string>): { to?: string; says: string } {
  const registry = table.entries.find((e) => e.name === 'registry');
  const home = table.entries.find((e) => e.name === 'cargo_home');
  const cwd = table.entries.find((e) => e.name === 'cwd');
  if (!cwd) return { to: REMAPPED.cwd, says: '' };
  const dir = basename(cwd.path);
  if (registry && dirname(cwd.path) === registry.path && dir === `${env.CARGO_PKG_NAME}-${env.CARGO_PKG_VERSION}`) {
    return { to: `${REMAPPED.registry}/${dir}`, says: `, the registry crate's dir as ${REMAPPED.registry}/${dir}` };
  }
  const base = home && `${home.path.replace(/\/+$/, '')}/`;
  if (base && cwd.path.startsWith(base)) return { says: `, the cwd as ${REMAPPED.cargo_home}/${cwd.path.slice(base.length)}` };
  return { to: REMAPPED.cwd, says: '' };
}

/** Key item 10's value: the flags are derived from the prefix table, so the key holds what decides them. */
export function remapKeyText(table: PrefixTable, env: Record<string, string>): string {
  return `on, real paths too${cwdMapping(table, env).says}`;
}
