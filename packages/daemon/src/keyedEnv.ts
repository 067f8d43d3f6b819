// The variables of a call's environment that its key holds (item 5 of manifestKey.ts).
import { bootstrapActingAs } from '@splitcache/rustc';

/**
 * The CARGO_* variables keyed: those cargo sets for the crate itself (CARGO_PKG_*,
 * CARGO_MANIFEST_DIR, CARGO_CRATE_NAME, CARGO_BIN_EXE_*, …, as its reference lists them, and
 * a build script's CARGO_FEATURE_* and CARGO_CFG_*), which a proc-macro may read while it
 * expands with no word in dep-info. Any other variable a crate reads with env!() or
 * option_env!() is in its dep-info (`# env-dep:`), and each result records its value.
 *
 * An allow-list: before, every CARGO_* variable but a list of cargo's own configuration was
 * keyed, so a variable of another tool's exported to cargo split the entries by its value
 * (cargo-make's CARGO_MAKE_GIT_HEAD_LAST_COMMIT_HASH: every crate missed at every commit), and
 * CARGO_HOME, which the rustup proxy sets and a toolchain's own cargo does not, split a store
 * between the two. Configuration cargo turns into arguments (`[build]`, `[profile.*]`,
 * CARGO_INCREMENTAL, a target's linker and rustflags) is keyed as those arguments, so a CI job
 * that sets CARGO_INCREMENTAL=0 and a machine whose profile says `incremental = false` share
 * entries. CARGO_PRIMARY_PACKAGE says whether the build selected the package (`cargo build`
 * does every member, `cargo test -p app` only app): rustc never reads it, so a member keeps
 * its entries under `-p`; clippy-driver does (it lints primary packages only), so a call
 * through a driver keys it.
 */
const KEYED_CARGO_ENV =
  /^CARGO(|_MANIFEST_DIR|_MANIFEST_PATH|_PKG_[A-Z0-9_]+|_CRATE_NAME|_BIN_NAME|_BIN_EXE_.+|_TARGET_TMPDIR|_RUSTC_CURRENT_DIR|_FEATURE_[A-Z0-9_]+|_CFG_[A-Z0-9_]+)$/;
/** Variables rustc itself reads that change its output. */
const RUSTC_ENV = ['RUSTC_BOOTSTRAP', 'RUSTC_FORCE_RUSTC_VERSION', 'OUT_DIR'];
/**
 * Read by rustc too, but keyed only when set, so that an environment without them keeps the
 * keys it had: RUSTC_OVERRIDE_VERSION_STRING is the version `cfg(version(..))` and `-vV` see;
 * an Apple target's `*_DEPLOYMENT_TARGET` is the OS version its objects say they need (their
 * `LC_BUILD_VERSION`), which rustc reads with no word in dep-info (unkeyed, a hit after it was
 * raised from 11.0 to 13.0 served objects saying 11.0: an env-var audit's repro);
 * LLVM_OVERRIDE_PRODUCER is the producer an rlib's bitcode names.
 */
const RUSTC_ENV_WHEN_SET = [
  'RUSTC_OVERRIDE_VERSION_STRING',
  'MACOSX_DEPLOYMENT_TARGET',
  'IPHONEOS_DEPLOYMENT_TARGET',
  'TVOS_DEPLOYMENT_TARGET',
  'WATCHOS_DEPLOYMENT_TARGET',
  'XROS_DEPLOYMENT_TARGET',
  'LLVM_OVERRIDE_PRODUCER',
];

/**
 * Why a call runs plainly for a variable that makes rustc write to its stderr what no stored
 * result should replay (nor a hit leave out), if one is set: RUSTC_LOG, its own log (293 lines
 * for a hello world); RUSTC_CTFE_BACKTRACE (but `0`), a backtrace for each error the const
 * evaluator meets, even in a compile that succeeds (a release lib: 58 lines; stored, every
 * later build replayed them, and a hit after it was set showed none: an env-var audit's repro).
 */
export function stderrByEnv(env: Record<string, string>): { cacheable: false; reason: string } | undefined {
  if (env.RUSTC_LOG) return { cacheable: false, reason: 'rustc-log' };
  if (env.RUSTC_CTFE_BACKTRACE !== undefined && env.RUSTC_CTFE_BACKTRACE !== '0') return { cacheable: false, reason: 'ctfe-backtrace' };
  return undefined;
}

/**
 * The names of the CARGO_* variables that go into the key (item 5), sorted:
 * KEYED_CARGO_ENV, and CARGO_PRIMARY_PACKAGE for a call through a driver
 * (clippy-driver reads it). CARGO_BIN_EXE_* only beside CARGO_TARGET_TMPDIR: cargo sets the
 * two together, for an integration test or a bench, and sets CARGO_BIN_EXE_* again when it
 * runs the test, so a cargo the test runs (trybuild, snapbox, a subcommand's tests) passes the
 * outer checkout's paths to every crate it compiles, which reads none of them (an env!() of one
 * is in dep-info anyway): keyed, each checkout and target dir missed them all.
 */
export function keyedCargoEnv(env: Record<string, string>, throughDriver = false): string[] {
  const integration = env.CARGO_TARGET_TMPDIR !== undefined;
  return Object.keys(env)
    .filter((name) => (KEYED_CARGO_ENV.test(name) && (integration || !name.startsWith('CARGO_BIN_EXE_'))) || (throughDriver && name === 'CARGO_PRIMARY_PACKAGE'))
    .sort();
}

/**
 * The variables rustc reads that a call's key holds, with their values (undefined: unset), in key
 * order. RUSTC_BOOTSTRAP as the compile of `crateName` acts on it (bootstrapActingAs), given the
 * compiler's `release:` line: a list of crate names is `1` for those it names and unset for the rest.
 */
export function keyedRustcEnv(env: Record<string, string>, release = '', crateName?: string): [string, string | undefined][] {
  const keyed: [string, string | undefined][] = RUSTC_ENV.map((name) => [name, name === 'RUSTC_BOOTSTRAP' ? bootstrapActingAs(release, env[name], crateName) : env[name]]);
  for (const name of RUSTC_ENV_WHEN_SET) if (env[name] !== undefined) keyed.push([name, env[name]]);
  return keyed;
}
