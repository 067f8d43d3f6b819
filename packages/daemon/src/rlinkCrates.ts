import { dirname, resolve } from 'node:path';
import { placeholderFor, type PrefixTable } from '@splitcache/paths';
import type { Invocation } from '@splitcache/rustc';

/** A crate file an .rlink names for its link step: a dependency's rlib or rmeta, a dylib or proc-macro's .so. */
const CRATE_FILE = /\.(rlib|rmeta|so)$/;

/** Placeholders that expand to the call's own dirs, whatever the call: crates under them are its own. */
const OWN = ['sysroot', 'target', 'target_real'].map(placeholderFor);

/**
 * The first crate file in `paths` (an .rlink's, in their stored form) that
 * lies neither under the sysroot nor under the target dir (its path as
 * cargo gave it, or its real path) and is not one that this call names
 * itself: one of its `--extern` files, or a file directly in one of its `-L`
 * dirs. Returned as this call's table expands it.
 *
 * rustc names the crates it links by the paths it found them at with every
 * symlink resolved, where the objects and the out-dir keep the path cargo
 * gave. A target dir reached through a symlink (`target -> /cache/a`, a
 * CARGO_TARGET_DIR on a symlinked volume) put `/cache/a/debug/deps/...`
 * into the .rlink, normalised at most by a wider prefix (the temp dir's):
 * another checkout's hit linked those files, the first checkout's, missing
 * (a failed link, compiled again) or, worse, of another commit under the
 * same name (cargo's file names do not change with a path dependency's
 * source), into a binary of the wrong code. prefixes.ts now normalises the
 * target dir's real path too; this check keeps any such path out of the
 * store, and out of the link step of a hit stored before.
 */
export function foreignCrateFile(paths: Iterable<string>, inv: Pick<Invocation, 'externs' | 'libPaths'>, cwd: string, table: PrefixTable): string | undefined {
  let files: Set<string> | undefined;
  let dirs: Set<string> | undefined;
  for (const stored of paths) {
    if (!CRATE_FILE.test(stored) || OWN.some((p) => stored.startsWith(p))) continue;
    const path = table.expand(stored);
    files ??= new Set(inv.externs.flatMap((e) => (e.path ? [resolve(cwd, e.path)] : [])));
    dirs ??= new Set(inv.libPaths.map((l) => resolve(cwd, l.path)));
    if (!files.has(path) && !dirs.has(dirname(path))) return path;
  }
  return undefined;
}
