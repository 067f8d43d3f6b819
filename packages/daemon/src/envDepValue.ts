import { PLACEHOLDER_OPEN, type PrefixTable } from '@splitcache/paths';
import type { Invocation } from '@splitcache/rustc';
import { INCLUDE_DIRS } from './includeDirUse.js';
import { pinnedToProfile } from './profileDirs.js';

/**
 * What a result records for one env-dep (a variable the crate read through
 * `env!`/`option_env!`, listed in its dep-info), and so what a lookup
 * compares: null for unset, else the value.
 *
 * rustc pastes the value into the crate as a string literal, so a path in it
 * can reach the code that runs: a test that finds its fixtures through
 * `env!("CARGO_MANIFEST_DIR")` (insta's snapshots do), runs
 * `env!("CARGO_BIN_EXE_app")` or writes under `env!("CARGO_TARGET_TMPDIR")`
 * must get its own checkout's paths. So the value is kept exactly as it is,
 * and a checkout in another directory misses that crate.
 *
 * Three are normalised, so they keep their hits across directories:
 *  - OUT_DIR and CARGO_MANIFEST_DIR (INCLUDE_DIRS), when the crate includes a
 *    file from under it (a dep-info input there): the build script's
 *    generated sources, read at compile time by `include!(concat!(env!("OUT_DIR"), …))`,
 *    or the package's README by `include_str!(concat!(env!("CARGO_MANIFEST_DIR"), …))`,
 *    keyed by their digests as any other input. A crate that reads one for
 *    any other reason keeps it exactly: one that includes nothing from under
 *    it, and one whose inputs also name it otherwise (`valueRead`,
 *    includeDirUse.ts), as `env!("OUT_DIR")` pasted into code that runs or a
 *    test that finds its fixtures through CARGO_MANIFEST_DIR. The rule looks at the
 *    result's own recorded inputs (`inputs`: normalised paths) and at what
 *    those files say, which their digests pin, so ingest and every lookup
 *    decide alike.
 *  - CLIPPY_CONF_DIR, which clippy-driver lists: where it looks for
 *    clippy.toml, whose path and digest the manifest key holds (item 13). It
 *    steers lints, and never reaches an output.
 * And a variable naming a file the build script generated, which the crate
 * only includes (`pathIncluded`: typenum's `include!(env!("TYPENUM_BUILD_OP"))`,
 * includedPathEnv.ts), when that file is among the inputs.
 * Either of those two, where it lies under a profile dir (OUT_DIR does), keeps
 * that dir's place (`release`): the included code names its file, and another
 * profile's build must not get it (pinnedToProfile, profileDirs.ts).
 */
export function envDepValue(name: string, value: string | undefined, inputs: readonly string[], table: PrefixTable, valueRead = false, pathIncluded = false): string | null {
  if (value === undefined) return null;
  if (name === 'CLIPPY_CONF_DIR') return table.normaliseText(value);
  if ((INCLUDE_DIRS as readonly string[]).includes(name) && !valueRead) {
    const dir = table.normaliseText(value).replace(/\/+$/, '');
    if (inputs.some((p) => p.startsWith(`${dir}/`))) return pinnedToProfile(dir, value, table);
  }
  if (pathIncluded && value.startsWith('/')) {
    const path = table.normaliseText(value);
    if (path !== value && inputs.includes(path)) return pinnedToProfile(path, value, table);
  }
  return value;
}

/**
 * Whether a recorded env-dep value (`recorded`, as envDepValue made it at
 * ingest) still holds for `value`: exactly, or in its normalised form. An
 * OUT_DIR recorded exactly was read as a value (includeDirUse.ts) and matches
 * only itself; one recorded normalised was not, and the inputs whose digests
 * a lookup checks too are the files that said so.
 */
export function envDepHolds(name: string, value: string | undefined, recorded: string | null, inputs: readonly string[], table: PrefixTable): boolean {
  if ((value ?? null) === recorded) return true;
  // Recorded normalised, an included file's path was found only included when stored, by texts the inputs' digests pin.
  return envDepValue(name, value, inputs, table, false, recorded?.startsWith(PLACEHOLDER_OPEN) ?? false) === recorded;
}

/**
 * The environment `env!` reads for this call: each `--env-set` value (nightly) over the
 * process's. rustc records such a value as the env-dep's: compared with the process's
 * environment, where the variable is unset, every lookup of such a crate missed.
 */
export function envOfCall(env: Record<string, string>, inv: Pick<Invocation, 'envSet'>): Record<string, string> {
  return inv.envSet.length === 0 ? env : { ...env, ...Object.fromEntries(inv.envSet) };
}
