import type { PrefixTable } from '@splitcache/paths';

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
 */
export function remapArgs(table: PrefixTable): string[] {
  return table.entries
    .filter((e) => REMAPPED[e.name] !== undefined)
    .reverse()
    .map((e) => `--remap-path-prefix=${e.path}=${REMAPPED[e.name]}`);
}
