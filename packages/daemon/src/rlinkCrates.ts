import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { placeholderFor, type PrefixTable } from '@splitcache/paths';
import type { Invocation } from '@splitcache/rustc';
import { PROFILE_PREFIXES } from './profileDirs.js';

/** A crate file an .rlink names for its link step: a dependency's rlib or rmeta, a dylib or proc-macro's .so. */
const CRATE_FILE = /\.(rlib|rmeta|so)$/;

/** Placeholders that expand to the call's own dirs, whatever the call (the target dir's profile dirs too): crates under them are its own. */
const OWN = ['sysroot', 'target', 'target_real', 'target_dir', ...PROFILE_PREFIXES].map(placeholderFor);

/** The -L kinds rustc finds crates in (not `native`, `framework`). */
const CRATE_DIR_KINDS = new Set(['dependency', 'crate', 'all']);

/**
 * The first crate file in `paths` (an .rlink's, in their stored form) that
 * stands in for one of this call's own crates from another place: it lies
 * neither under the sysroot nor under the target dir (its path as cargo gave
 * it, or its real path), is not a file this call names (one of its
 * `--extern` files, or one directly in one of its `-L` dirs), and yet bears
 * the name of one (an `--extern` file's, or one in a crate `-L` dir).
 * Returned as this call's table expands it. A crate of a sysroot reached
 * through symlinks (one assembled by hand, a target's dir linked into a
 * toolchain) bears no such name: it is the toolchain's, which the key covers.
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
export function foreignCrateFile(
  paths: Iterable<string>, inv: Pick<Invocation, 'externs' | 'libPaths'>, cwd: string, table: PrefixTable, exists: (path: string) => boolean = existsSync,
): string | undefined {
  let files: Set<string> | undefined;
  let dirs: Set<string> | undefined;
  let names: Set<string> | undefined;
  for (const stored of paths) {
    if (!CRATE_FILE.test(stored) || OWN.some((p) => stored.startsWith(p))) continue;
    const path = table.expand(stored);
    files ??= new Set(inv.externs.flatMap((e) => (e.path ? [resolve(cwd, e.path)] : [])));
    dirs ??= new Set(inv.libPaths.map((l) => resolve(cwd, l.path)));
    if (files.has(path) || dirs.has(dirname(path))) continue;
    names ??= new Set([...files].map((f) => basename(f)));
    const name = basename(path);
    if (names.has(name)) return path;
    for (const l of inv.libPaths) if (CRATE_DIR_KINDS.has(l.kind) && exists(join(resolve(cwd, l.path), name))) return path;
  }
  return undefined;
}
