import { existsSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { PrefixTable } from '@splitcache/paths';
import type { Invocation } from '@splitcache/rustc';

const targetRoots = new Map<string, string>();

/**
 * The target dir that holds `outDir`: the nearest ancestor (up to four
 * levels) with cargo's CACHEDIR.TAG, else the out-dir itself. Memoised:
 * a build has only a handful of out-dirs.
 */
export function targetRootOf(outDir: string): string {
  let hit = targetRoots.get(outDir);
  if (hit) return hit;
  hit = outDir;
  let d = outDir;
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(d, 'CACHEDIR.TAG'))) {
      hit = d;
      break;
    }
    const up = dirname(d);
    if (up === d) break;
    d = up;
  }
  if (targetRoots.size > 10_000) targetRoots.clear();
  targetRoots.set(outDir, hit);
  return hit;
}

/**
 * The prefixes that make a path machine-specific for this call, each mapped
 * to a placeholder (longest match first, inside PrefixTable):
 * sysroot, cwd (the workspace root under cargo), the registry directory a
 * non-workspace package comes from, CARGO_HOME, the target dir, OUT_DIR,
 * the temp dir, and SPLITCACHE_BASEDIRS.
 */
export function prefixTableFor(
  inv: Invocation,
  cwd: string,
  env: Record<string, string>,
  sysroot: string,
  baseDirs: string[],
): PrefixTable {
  const entries: { name: string; path: string }[] = [
    { name: 'sysroot', path: sysroot },
    { name: 'cwd', path: cwd },
    { name: 'cargo_home', path: env.CARGO_HOME || join(env.HOME || homedir(), '.cargo') },
    { name: 'tmp', path: env.TMPDIR || tmpdir() },
  ];
  const manifestDir = env.CARGO_MANIFEST_DIR;
  if (manifestDir && isAbsolute(manifestDir)) {
    entries.push({ name: 'pkg', path: manifestDir });
    if (!env.CARGO_PRIMARY_PACKAGE) entries.push({ name: 'registry', path: dirname(manifestDir) });
  }
  if (inv.outDir) entries.push({ name: 'target', path: targetRootOf(resolve(cwd, inv.outDir)) });
  if (env.OUT_DIR && isAbsolute(env.OUT_DIR)) entries.push({ name: 'out_dir', path: env.OUT_DIR });
  baseDirs.forEach((d, i) => entries.push({ name: `base${i}`, path: d }));
  return new PrefixTable(entries);
}
