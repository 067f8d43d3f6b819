import t from 'tap';
import { parseInvocation } from '@splitcache/rustc';
import { keyedArgs } from '../src/manifestKey.js';
import { keyedCargoEnv, keyedRustcEnv } from '../src/keyedEnv.js';

const BASE = ['--crate-name', 'app', 'src/main.rs', '--crate-type', 'bin', '--emit=dep-info,link', '-C', 'opt-level=3', '--out-dir', '/w/target/release/deps'];
const names = (extra: string[]) => keyedArgs(parseInvocation([...BASE, ...extra])).map(([n]) => n);

t.test('options that only steer the linker or the width of diagnostics stay out of the key', async (t) => {
  const plain = names([]);
  for (const extra of [
    ['-C', 'linker=/opt/clang/bin/clang'],
    ['-Clinker=cc'],
    ['--codegen', 'linker-flavor=gcc'],
    ['-C', 'link-arg=-fuse-ld=mold', '-C', 'link-arg=-Wl,-O1'],
    ['-C', 'link-args=-Wl,--as-needed -Wl,-z,now'],
    ['-C', 'link-self-contained=no'],
    ['-C', 'linker-features=+lld'],
    ['-C', 'strip=symbols'],
    ['-C', 'link_arg=-fuse-ld=mold', '-Clink_self_contained=no'],
    ['--diagnostic-width=120'],
    ['--diagnostic-width', '80'],
    ['--color=always'],
    ['--color', 'never'],
  ]) {
    t.same(names(extra), plain, `${extra.join(' ')}: the same keyed arguments`);
  }
});

t.test('everything else is keyed, codegen and -l included', async (t) => {
  for (const extra of [['-C', 'opt-level=2'], ['-C', 'target-cpu=x86-64-v3'], ['-l', 'static=z'], ['-C', 'link-dead-code'], ['-C', 'linker-plugin-lto'], ['-C', 'relocation-model=pic']]) {
    t.not(JSON.stringify(keyedArgs(parseInvocation([...BASE, ...extra]))), JSON.stringify(keyedArgs(parseInvocation(BASE))), `${extra.join(' ')} changes them`);
  }
});

t.test('the CARGO_* variables keyed: what cargo sets for the crate, not the configuration it turned into arguments', async (t) => {
  const set = {
    CARGO: '/t/bin/cargo', CARGO_PKG_NAME: 'app', CARGO_PKG_VERSION: '1.0.0', CARGO_MANIFEST_DIR: '/w/app', CARGO_MANIFEST_PATH: '/w/app/Cargo.toml',
    CARGO_CRATE_NAME: 'app', CARGO_BIN_NAME: 'app', CARGO_TARGET_TMPDIR: '/w/target/tmp', CARGO_FEATURE_STD: '1',
  };
  const config = {
    CARGO_MAKEFLAGS: '-j --jobserver-fds=3,4', CARGO_INCREMENTAL: '0', CARGO_BUILD_JOBS: '8', CARGO_BUILD_RUSTC_WRAPPER: '/opt/splitcache/bin/splitcache',
    CARGO_BUILD_TARGET_DIR: '/w/t', CARGO_TARGET_DIR: '/w/t', CARGO_BUILD_RUSTFLAGS: '-Dwarnings', CARGO_ENCODED_RUSTFLAGS: '-Dwarnings',
    CARGO_PROFILE_DEV_DEBUG: '0', CARGO_PROFILE_RELEASE_LTO: 'thin', CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER: 'clang',
    CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS: '-Ctarget-cpu=native', CARGO_TERM_COLOR: 'always', CARGO_NET_OFFLINE: 'true',
    CARGO_REGISTRIES_CRATES_IO_PROTOCOL: 'sparse', CARGO_SOURCE_CRATES_IO_REPLACE_WITH: 'vendored', CARGO_LOG: 'debug',
    CARGO_ALIAS_B: 'build', CARGO_UNSTABLE_SPARSE_REGISTRY: 'true', CARGO_CACHE_AUTO_CLEAN_FREQUENCY: 'never',
  };
  // Not cargo's for the crate: another tool's (cargo-make exports its task and git state to the cargo
  // it runs), and CARGO_HOME, which the rustup proxy sets and a toolchain's own cargo does not.
  const others = { CARGO_MAKE_GIT_HEAD_LAST_COMMIT_HASH: 'abc123', CARGO_MAKE_TASK: 'build', CARGO_HOME: '/home/u/.cargo', CARGO_INSTALL_ROOT: '/opt' };
  t.same(keyedCargoEnv({ ...set, ...others, CARGO_BIN_EXE_my_tool: '/w/t/my-tool', 'CARGO_BIN_EXE_my-tool': '/w/t/my-tool', CARGO_PKG_VERSION_MAJOR: '1' }),
    [...Object.keys(set), 'CARGO_BIN_EXE_my-tool', 'CARGO_BIN_EXE_my_tool', 'CARGO_PKG_VERSION_MAJOR'].sort(), "other tools' variables and CARGO_HOME are not keyed");
  t.same(keyedCargoEnv({ ...set, ...config, PATH: '/bin' }), Object.keys(set).sort(), 'only those cargo sets for the crate');
  t.same(keyedCargoEnv({ ...set, CARGO_PRIMARY_PACKAGE: '1' }), Object.keys(set).sort(), 'not whether the build selected the package: rustc never reads it');
  t.same(keyedCargoEnv({ ...set, CARGO_PRIMARY_PACKAGE: '1' }, true), [...Object.keys(set), 'CARGO_PRIMARY_PACKAGE'].sort(), 'but clippy-driver does');
  // What a crate compiled by a cargo that an integration test runs gets: the outer test's CARGO_BIN_EXE_*
  // (cargo sets them when it runs the test), and the inner cargo's own variables for the crate.
  const inner = { CARGO: '/t/bin/cargo', CARGO_PKG_NAME: 'fixture', CARGO_MANIFEST_DIR: '/tmp/t/fx', CARGO_CRATE_NAME: 'fixture', CARGO_BIN_NAME: 'fixture' };
  t.same(keyedCargoEnv({ ...inner, CARGO_BIN_EXE_app: '/w/target/debug/app' }), Object.keys(inner).sort(), "an outer test's CARGO_BIN_EXE_* is not keyed where cargo set no CARGO_TARGET_TMPDIR (not an integration test's call)");
});

t.test("the variables rustc reads: RUSTC_OVERRIDE_VERSION_STRING keyed where set, and absent from a key where not (the keys from before it was keyed)", async (t) => {
  const unset = keyedRustcEnv({ PATH: '/bin' });
  t.same(unset.map(([n]) => n), ['RUSTC_BOOTSTRAP', 'RUSTC_FORCE_RUSTC_VERSION', 'OUT_DIR'], 'unset: the three keyed since CACHE_VERSION 13, and no more');
  t.same(keyedRustcEnv({ RUSTC_OVERRIDE_VERSION_STRING: '1.95.0-nightly' }).at(-1), ['RUSTC_OVERRIDE_VERSION_STRING', '1.95.0-nightly'], 'set: keyed with its value (cfg(version) reads it)');
});

// rustc reads RUSTC_BOOTSTRAP by the crate's name: a list naming it acts as 1, one naming others as
// unset, and -1 as unset on a stable toolchain. Keyed raw, `RUSTC_BOOTSTRAP=app` missed every crate.
t.test('RUSTC_BOOTSTRAP is keyed as the crate acts on it', async (t) => {
  const stable = '1.95.0';
  const nightly = '1.97.0-nightly';
  const keyed = (value: string | undefined, crate: string, release = stable) => keyedRustcEnv(value === undefined ? {} : { RUSTC_BOOTSTRAP: value }, release, crate)[0];
  t.same(keyed('app', 'app'), ['RUSTC_BOOTSTRAP', '1'], 'a list naming the crate: as 1');
  t.same(keyed('util,app', 'app'), ['RUSTC_BOOTSTRAP', '1'], 'among others');
  t.same(keyed('app', 'util'), keyed(undefined, 'util'), 'naming another crate: as unset');
  t.same(keyed('1', 'util'), ['RUSTC_BOOTSTRAP', '1'], '1 is 1 for every crate');
  t.same(keyed('-1', 'util'), keyed(undefined, 'util'), '-1 on stable: as unset (refused there anyway)');
  t.same(keyed('-1', 'util', nightly), ['RUSTC_BOOTSTRAP', '-1'], 'but not on a nightly, which allows features unset');
  t.same(keyed('app', 'app', nightly), ['RUSTC_BOOTSTRAP', '1'], 'on a nightly, naming the crate is still 1');
});

// Named by its path, a kindless `-L` (a build script's `cargo:rustc-link-search=$OUT_DIR`) put the checkout in
// the key's names, which are not normalised: its crate and every crate after it missed in a copy of the checkout.
t.test('an -L is named by the kind rustc reads, never by its dir', async (t) => {
  const named = (dir: string) => names(['-L', dir, `-L${dir}/b`, '-L', `native=${dir}/n`, '-L', `all=${dir}/x=y`, '-L', `${dir}/a=b`]);
  t.same(named('/w/target/debug/build/sys-1/out').slice(-5), ['-L', '-L#1', '-L native', '-L all', '-L#2'], 'a kindless dir is `-L`, one with `=` in it too');
  t.same(named('/w/target/debug/build/sys-1/out'), named('/v/copy/target/debug/build/sys-1/out'), 'the same names in another checkout');
});
