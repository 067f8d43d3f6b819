import { isAbsolute } from 'node:path';
import type { PrefixEntry, PrefixTable } from '@splitcache/paths';
import { hasDebuginfo, writesCode, type Invocation } from '@splitcache/rustc';

/**
 * The profile dir is a prefix of its own (`<target>/<profile>`), as the target dir is: a custom
 * profile that inherits another unchanged (`[profile.ci] inherits = "release"`) gets from cargo
 * the same arguments, `-C metadata` included, but for that dir's name in every `--out-dir`,
 * `-L dependency=` and `--extern` path, and its crates are byte-identical. Under the target
 * dir's placeholder alone, `--profile ci` missed every entry `--release` had stored in the same
 * checkout (a hunt: 0 hits of 23). Every profile setting reaches rustc as an argument of its own
 * (opt-level, debuginfo, lto, panic, codegen-units, debug-assertions, overflow-checks, rpath,
 * strip, split-debuginfo, incremental) and through `-C metadata`, all keyed; `PROFILE`, which
 * names the profile a custom one inherits, reaches only a build script's run, whose outputs are
 * inputs. What a crate compiles in from under the dir (code `include!`d from OUT_DIR: its spans
 * name the file, in the rlib's metadata and in panic locations) pins the dir: envDepValue.ts; so
 * does `-C split-debuginfo=packed`, whose objects name their `.dwo` files under the out-dir
 * (packedDwarfPlace).
 *
 * - `profile`: `<target>/<profile>`, the host's (build scripts, proc-macros, and every crate
 *   of a build without `--target`);
 * - `triple_profile`: `<target>/<triple>/<profile>`, where the call's own dir is a target's;
 * - each with its real path (`_real`), as `target_real` (rustc names the crates an `.rlink`
 *   links by their real paths);
 * - `target_dir_profile`, `target_dir_triple_profile`: the same dirs in the target dir, where a
 *   build dir apart from it is what rustc writes under (CARGO_BIN_EXE_* name them).
 */
export const PROFILE_PREFIXES = ['profile', 'profile_real', 'triple_profile', 'triple_profile_real', 'target_dir_profile', 'target_dir_triple_profile'] as const;

/** A call's layout as prefixes.ts reads it: the target dir, the profile dir's name, and the call's own profile dir as given. */
export interface ProfileLayout {
  root: string;
  profile: string;
  /** The triple, where the call's own profile dir is under it (`<target>/<triple>/<profile>`). */
  triple?: string;
}

/** The profile dirs of a call's layout as prefixes (PROFILE_PREFIXES), each path as the arguments have it (string joins: `..` kept). */
export function profileDirEntries(layout: ProfileLayout, realPathOf: (dir: string) => string, targetDir?: string): PrefixEntry[] {
  const { root, profile, triple } = layout;
  const host = `${root}/${profile}`;
  const entries: PrefixEntry[] = [{ name: 'profile', path: host }];
  const own = triple === undefined ? undefined : `${root}/${triple}/${profile}`;
  if (own !== undefined) entries.push({ name: 'triple_profile', path: own });
  // Given after the paths as given: where the two are one, the given form normalises (PrefixTable).
  // A dir not there yet (none of cargo's: it makes them first) is the target dir's real path joined.
  const realRoot = realPathOf(root);
  const real = (dir: string, rest: string) => {
    const found = realPathOf(dir);
    return found !== dir ? found : `${realRoot}/${rest}`;
  };
  entries.push({ name: 'profile_real', path: real(host, profile) });
  if (own !== undefined) entries.push({ name: 'triple_profile_real', path: real(own, `${triple}/${profile}`) });
  if (targetDir !== undefined) {
    entries.push({ name: 'target_dir_profile', path: `${targetDir}/${profile}` });
    if (triple !== undefined) entries.push({ name: 'target_dir_triple_profile', path: `${targetDir}/${triple}/${profile}` });
  }
  return entries;
}

/**
 * Where `path` (an OUT_DIR, a file under it) lies under one of the table's profile dirs (as
 * given or real: cargo gives OUT_DIR with `..` folded): that dir's place in the target dir
 * (`release`, `x86_64-unknown-linux-gnu/ci`), for a recorded value to hold. undefined where it
 * lies under none (a call not laid out like cargo's).
 */
export function profilePlace(path: string, table: PrefixTable): string | undefined {
  const entries = table.entries;
  const named = (name: string) => entries.find((e) => e.name === name)?.path;
  const target = named('target');
  let place: string | undefined;
  let longest = -1;
  for (const e of entries) {
    const own = /^(triple_)?profile(_real)?$/.exec(e.name);
    if (!own || e.path.length <= longest || !(path === e.path || path.startsWith(`${e.path}/`))) continue;
    const given = named(own[1] ? 'triple_profile' : 'profile');
    if (target === undefined || given === undefined || !given.startsWith(`${target}/`)) continue;
    place = given.slice(target.length + 1);
    longest = e.path.length;
  }
  return place;
}

const PIN = / \(in the profile dir [^()]+\)$/;

/**
 * A normalised env-dep value (OUT_DIR read only to include a file from it, or a variable naming
 * a file there: envDepValue.ts) with the place of the profile dir `raw` lies under, if any: the
 * included code's spans name its file, in the rlib's metadata and in panic locations, so a crate
 * built under `target/release` is not the one `target/ci` builds. Recorded normalised alone, a
 * `--profile ci` build got `--release`'s crate, naming `target/release/build/…` (and so did its
 * dependants, whose keys hold its digest).
 */
export function pinnedToProfile(normalised: string, raw: string, table: PrefixTable): string {
  const place = profilePlace(raw, table);
  return place === undefined ? normalised : `${normalised} (in the profile dir ${place})`;
}

/** A recorded value without pinnedToProfile's suffix: the path it names. */
export function unpinned(value: string): string {
  return value.replace(PIN, '');
}

/**
 * For a call whose objects name split DWARF by absolute path though it is shared across target
 * dirs (`-C split-debuginfo=packed` with debug info, writing code: each skeleton unit names its
 * `.dwo` under the out-dir, in the rlib's objects and in every binary linked from them): the
 * profile dir's place of its out-dir, keyed (manifestKey.ts, item 21), else undefined. Under the
 * profile dir's placeholder alone, `--profile pk2` (`inherits = "pk"`) got pk's rlibs and bins,
 * naming `target/pk/deps/*.dwo`: not the bytes a plain build writes.
 */
export function packedDwarfPlace(inv: Invocation, cwd: string, table: PrefixTable): string | undefined {
  if (inv.codegen.get('split-debuginfo') !== 'packed' || !hasDebuginfo(inv) || !writesCode(inv)) return undefined;
  const out = inv.outDir === undefined ? cwd : isAbsolute(inv.outDir) ? inv.outDir : `${cwd}/${inv.outDir}`;
  return profilePlace(out, table) ?? 'none';
}
