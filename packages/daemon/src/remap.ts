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
  const crateDir = registryCrateDir(table, env);
  const homeCwd = !crateDir && cwdUnderCargoHome(table) !== undefined;
  for (const e of table.entries) {
    // A cwd under CARGO_HOME (a git dependency's checkout) is left to the other flags: the registry
    // entry's (the checkouts of its repository, cargo building it in its own dir), else CARGO_HOME's.
    if (e.name === 'cwd' && homeCwd) continue;
    const to = e.name === 'cwd' && crateDir ? `${REMAPPED.registry}/${crateDir}` : REMAPPED[e.name];
    if (to === undefined) continue;
    flags.push([e.path, to]);
    const real = realPathOf(e.path);
    if (real !== e.path) flags.push([real, to]);
  }
  return flags.sort((a, b) => a[0].length - b[0].length).map(([from, to]) => `--remap-path-prefix=${from}=${to}`);
}

/**
 * A registry crate's own package dir, where it is the cwd: the name it keeps under the registry's
 * placeholder, as cargo's trim-paths keeps it. Mapped to `.`, as a checkout is, every registry
 * crate's files came out as ./src/lib.rs, one file to a debugger and to llvm-cov (a helper's
 * coverage report summed three crates' src/lib.rs in one row). Only a dir named
 * `<name>-<version>`, as registries and directory sources name them: a workspace's root package
 * built as another member's dependency is also built in its own dir with no CARGO_PRIMARY_PACKAGE,
 * and mapped by its dir's name, a hit in another checkout named the first (a review's finding).
 */
export function registryCrateDir(table: PrefixTable, env: Record<string, string>): string | undefined {
  const registry = table.entries.find((e) => e.name === 'registry');
  const cwd = table.entries.find((e) => e.name === 'cwd');
  if (!registry || !cwd || dirname(cwd.path) !== registry.path) return undefined;
  const dir = basename(cwd.path);
  return dir === `${env.CARGO_PKG_NAME}-${env.CARGO_PKG_VERSION}` ? dir : undefined;
}

/**
 * The cwd's path under CARGO_HOME, where it lies there: a git dependency, built in its checkout
 * (`<CARGO_HOME>/git/checkouts/<repo>-<hash>/<rev>`). Mapped to `.`, its files clashed with every
 * other crate's `./src/lib.rs`, as registry crates' did; left to the other flags they keep the
 * revision's dir (`/splitcache/registry/<rev>/src/lib.rs`), the same on every machine.
 */
function cwdUnderCargoHome(table: PrefixTable): string | undefined {
  const home = table.entries.find((e) => e.name === 'cargo_home');
  const cwd = table.entries.find((e) => e.name === 'cwd');
  const base = home && `${home.path.replace(/\/+$/, '')}/`;
  return base && cwd?.path.startsWith(base) ? cwd.path.slice(base.length) : undefined;
}

/** Key item 10's value: the flags are derived from the prefix table, so the key holds what decides them. */
export function remapKeyText(table: PrefixTable, env: Record<string, string>): string {
  const crateDir = registryCrateDir(table, env);
  if (crateDir) return `on, real paths too, the registry crate's dir as ${REMAPPED.registry}/${crateDir}`;
  // The path under it is named: the outputs name it (a checkout kept under CARGO_HOME has its own).
  const under = cwdUnderCargoHome(table);
  return `on, real paths too${under ? `, the cwd as ${REMAPPED.cargo_home}/${under}` : ''}`;
}
