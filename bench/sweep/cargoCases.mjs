// The cases cargoSweep.mjs runs. A case is a first step `a` and a second `b`; a step is `args`
// (cargo's, after `cargo`), `env` (undefined unsets), `config` (TOML added to the checkout's
// .cargo/config.toml), `files` (path → text, or a function of the workspace's text), `cwd`
// (under the checkout), `nightly` (cargo +nightly). In values, {CO} is the checkout, {OUT} a dir
// outside it (compared too), {HOST} the host triple. `expect: 'hit'`: every call of `b` should
// hit (`except`: a pattern of the calls that may miss, as `crate(type):outcome:reason`).
// `moved`: [a's target dir, b's], of one length (another target dir); `remap`: SPLITCACHE_REMAP=1
// on both, judged against the cold build alone; `ignore`: a pattern of files not compared.
import { spawnSync } from 'node:child_process';
import { LINTS } from './cargoWorkspace.mjs';

export const HOST = /host: (\S+)/.exec(spawnSync('rustc', ['-vV'], { encoding: 'utf8' }).stdout)[1];

const build = ['build', '--workspace', '--all-targets'];
const APP = ['build', '-p', 'cs-app'];
// (and cargo keeps splitcache's hint as the output of whichever unit told it: .fingerprint/*/output-*).
const INCREMENTAL = /\/incremental\/|\/\.fingerprint\/[^/]+\/output-|\/deps\/libcs_(core|mac)-[0-9a-f]+\.(rlib|rmeta|so)$|\/debug\/libcs_(core|mac)\.(rlib|so)$/;
/** An integration test reads env!("CARGO_BIN_EXE_app"), the bin's path: another target dir changes it. */
const BIN_EXE = /^cs-app\(test\):miss:inputs-changed$/;
/** Under a build dir the bin (CARGO_BIN_EXE_app) is in the target dir, not under the out dir's: its path is in the key as it is. */
const BUILD_DIR_BIN_EXE = /^cs-app\(test\):miss:new-key$/;
/** `b` is `a` again: every call should hit, and the outputs be plain cargo's. */
const again = (name, step, more = {}) => ({ name: `${name} (again)`, a: step, b: step, expect: 'hit', ...more });
/** `a`, then `b`: the calls `b` changes miss, and nothing may hit wrongly. */
const pair = (name, a, b, more = {}) => ({ name, a, b, ...more });
/** The default build, then one with `config` added. */
const keyed = (name, config, args = build) => pair(name, { args }, { args, config });
/** The default build, then one with extra cargo args (and the same cargo-only setting should hit). */
const flag = (name, extra, more = {}) => pair(name, { args: build, ...(more.remap && { env: REMAP }) }, { args: [...build, ...extra], ...(more.remap && { env: REMAP }) }, more);
const REMAP = { SPLITCACHE_REMAP: '1' };
/** A workspace wrapper (RUSTC_WORKSPACE_WRAPPER) that passes `--cfg cs_extra` when CS_WW is set: cargo can't see what it reads. */
const WW = { 'ww.sh': '#!/bin/sh\nif [ -n "$CS_WW" ]; then exec "$@" --cfg cs_ww; fi\nexec "$@"\n' };
const wwApp = { 'app/src/main.rs': (t) => t.replace('fn main() {', 'fn main() {\n    println!("ww={}", cfg!(cs_ww));') };
const lints = { 'Cargo.toml': (t) => t + LINTS.table, 'core/Cargo.toml': (t) => t + LINTS.member, 'app/Cargo.toml': (t) => t + LINTS.member, 'mac/Cargo.toml': (t) => t + LINTS.member };

export const cases = [
  // Commands.
  again('build', { args: build }),
  again('check', { args: ['check', '--workspace', '--all-targets'] }),
  pair('build then check', { args: build }, { args: ['check', '--workspace', '--all-targets'] }),
  again('test', { args: ['test', '--workspace'] }),
  again('test --doc', { args: ['test', '--doc', '-p', 'cs-core'] }),
  again('bench', { args: ['bench', '--workspace'] }),
  again('doc', { args: ['doc', '--workspace'] }),
  pair('doc then doc --document-private-items', { args: ['doc', '--workspace'] }, { args: ['doc', '--workspace', '--document-private-items'] }),
  pair('run args', { args: ['run', '-p', 'cs-app', '--', 'one'] }, { args: ['run', '-p', 'cs-app', '--', 'two'] }, { expect: 'hit' }),
  again('install --path', { args: ['install', '--path', 'app', '--root', '{OUT}/inst', '--offline'] }),
  pair('rustc -- --cfg', { args: ['rustc', '-p', 'cs-app', '--bin', 'app'], files: wwApp }, { args: ['rustc', '-p', 'cs-app', '--bin', 'app', '--', '--cfg', 'cs_ww'], files: wwApp }),
  pair('rustc -- -C opt-level', { args: ['rustc', '-p', 'cs-app', '--bin', 'app', '--', '-C', 'opt-level=2'] }, { args: ['rustc', '-p', 'cs-app', '--bin', 'app', '--', '-C', 'opt-level=1'] }),
  pair('rustc --crate-type', { args: ['rustc', '-p', 'cs-core', '--lib', '--crate-type', 'rlib'] }, { args: ['rustc', '-p', 'cs-core', '--lib', '--crate-type', 'cdylib'] }),
  again('rustc --crate-type staticlib', { args: ['rustc', '-p', 'cs-core', '--lib', '--crate-type', 'staticlib'] }),
  // Profiles.
  flag('--release', ['--release']),
  again('--release', { args: [...build, '--release'] }),
  pair('--profile custom (inherits release)', { args: [...build, '--release'] }, { args: [...build, '--profile', 'custom'] }),
  again('--profile custom', { args: [...build, '--profile', 'custom'] }),
  keyed('opt-level', 'profile.dev.opt-level = 1'),
  keyed('opt-level s', 'profile.dev.opt-level = "s"'),
  keyed('debug 0', 'profile.dev.debug = 0'),
  keyed('debug line-tables-only', 'profile.dev.debug = "line-tables-only"'),
  keyed('strip symbols', 'profile.dev.strip = "symbols"'),
  keyed('strip debuginfo', 'profile.dev.strip = "debuginfo"'),
  keyed('split-debuginfo packed', 'profile.dev.split-debuginfo = "packed"'),
  keyed('split-debuginfo unpacked', 'profile.dev.split-debuginfo = "unpacked"'),
  // LTO takes std's bitcode into each program linked: the bin alone, or a case takes minutes.
  keyed('lto fat', 'profile.dev.lto = "fat"', APP),
  keyed('lto thin', 'profile.dev.lto = "thin"', APP),
  pair('lto off/thin (release)', { args: [...APP, '--release'], config: 'profile.release.lto = "off"' }, { args: [...APP, '--release'], config: 'profile.release.lto = "thin"' }),
  keyed('codegen-units 1', 'profile.dev.codegen-units = 1'),
  keyed('panic abort', 'profile.dev.panic = "abort"', ['build', '--workspace']),
  keyed('overflow-checks false', 'profile.dev.overflow-checks = false'),
  keyed('debug-assertions false', 'profile.dev.debug-assertions = false'),
  // The sweep sets CARGO_INCREMENTAL=0, which wins over the profile's key: unset for b.
  pair('incremental true', { args: build }, { args: build, config: 'profile.dev.incremental = true', env: { CARGO_INCREMENTAL: undefined } }, { ignore: INCREMENTAL }),
  keyed('rpath', 'profile.dev.rpath = true'),
  keyed('per-package opt-level', '[profile.dev.package.cs-core]\nopt-level = 2'),
  keyed('per-package registry dep', '[profile.dev.package.itoa]\nopt-level = 3\ndebug = 0'),
  keyed('build-override', '[profile.dev.build-override]\nopt-level = 1\ndebug = 0'),
  pair('CARGO_PROFILE_DEV_OPT_LEVEL', { args: build }, { args: build, env: { CARGO_PROFILE_DEV_OPT_LEVEL: '2' } }),
  pair('CARGO_PROFILE_DEV_DEBUG', { args: build }, { args: build, env: { CARGO_PROFILE_DEV_DEBUG: 'false' } }),
  pair('-Ztrim-paths (nightly)', { args: build, nightly: true }, { args: ['-Ztrim-paths', ...build], nightly: true, config: 'profile.dev.trim-paths = "all"' }),
  again('cargo +nightly', { args: build, nightly: true }),
  // Nightly cargo's -Z flags that change rustc's calls (or what cargo makes of them).
  again('-Zchecksum-freshness (nightly)', { args: ['-Zchecksum-freshness', ...build], nightly: true }),
  pair('-Zchecksum-freshness after none (nightly)', { args: build, nightly: true }, { args: ['-Zchecksum-freshness', ...build], nightly: true }),
  again('-Zbinary-dep-depinfo (nightly)', { args: ['-Zbinary-dep-depinfo', ...build], nightly: true }),
  again('-Zno-embed-metadata (nightly)', { args: ['-Zno-embed-metadata', ...build], nightly: true }),
  pair('-Zno-embed-metadata after none (nightly)', { args: build, nightly: true }, { args: ['-Zno-embed-metadata', ...build], nightly: true }),
  pair('-Zroot-dir (nightly)', { args: build, nightly: true }, { args: ['-Zroot-dir={CO}/core', ...build], nightly: true }),
  pair('-Zbuild-dir-new-layout (nightly)', { args: build, nightly: true }, { args: ['-Zbuild-dir-new-layout', ...build], nightly: true }),
  again('-Zsection-timings --timings (nightly)', { args: ['-Zsection-timings', ...build, '--timings'], nightly: true }),
  pair('-Zprofile-rustflags (nightly)', { args: ['-Zprofile-rustflags', ...build], nightly: true }, { args: ['-Zprofile-rustflags', ...build], nightly: true, config: '[profile.dev.package.cs-core]\nrustflags = ["--cfg", "cs_ww"]' }),
  pair('stable then cargo +nightly', { args: build }, { args: build, nightly: true }),
  pair('RUSTUP_TOOLCHAIN', { args: build }, { args: build, env: { RUSTUP_TOOLCHAIN: 'nightly' } }),
  // Features and packages.
  flag('--features cs-core/extra', ['--features', 'cs-core/extra']),
  flag('--all-features', ['--all-features']),
  pair('-p cs-core --no-default-features', { args: ['build', '-p', 'cs-core'] }, { args: ['build', '-p', 'cs-core', '--no-default-features'] }),
  pair('-p cs-app after the workspace', { args: build }, { args: ['build', '-p', 'cs-app'] }),
  // Targets and directories.
  flag('--target host', ['--target', '{HOST}']),
  again('--target host', { args: [...build, '--target', '{HOST}'] }),
  // Another target dir, of the same length as {CO}/target: a hit keeps the first one's paths in metadata (`moved`).
  flag('--target-dir', ['--target-dir', '{OUT}/tdir1'], { expect: 'hit', except: BIN_EXE, moved: ['{CO}/target', '{OUT}/tdir1'] }),
  pair('CARGO_TARGET_DIR', { args: build }, { args: build, env: { CARGO_TARGET_DIR: '{OUT}/tdir2' } }, { expect: 'hit', except: BIN_EXE, moved: ['{CO}/target', '{OUT}/tdir2'] }),
  pair('build.build-dir', { args: build }, { args: build, config: 'build.build-dir = "{OUT}/bdir3"' }, { expect: 'hit', except: BUILD_DIR_BIN_EXE, moved: ['{CO}/target', '{OUT}/bdir3'] }),
  // With SPLITCACHE_REMAP=1 the target dir is remapped: a hit from another is a cold build's, byte for byte.
  flag('--target-dir (SPLITCACHE_REMAP=1)', ['--target-dir', '{OUT}/tdir1'], { remap: true, expect: 'hit', except: BIN_EXE }),
  pair('from a member dir', { args: build }, { args: build, cwd: 'app' }, { expect: 'hit' }),
  // Flags cargo passes on.
  flag('--config build.rustflags', ['--config', 'build.rustflags=["--cfg","cs_ww"]']),
  keyed('target.<host>.linker', '[target.{HOST}]\nlinker = "cc"'),
  keyed('build.rustflags', 'build.rustflags = ["--cfg", "cs_ww"]'),
  keyed('target.<host>.rustflags', '[target.{HOST}]\nrustflags = ["-C", "target-cpu=x86-64-v2"]'),
  pair('CARGO_ENCODED_RUSTFLAGS', { args: build }, { args: build, env: { CARGO_ENCODED_RUSTFLAGS: '--cfg\x1fcs_ww' } }),
  pair('RUSTFLAGS = build.rustflags', { args: build, config: 'build.rustflags = ["--cfg", "cs_ww"]' }, { args: build, env: { RUSTFLAGS: '--cfg cs_ww' } }, { expect: 'hit' }),
  pair('RUSTDOCFLAGS', { args: ['doc', '--workspace'] }, { args: ['doc', '--workspace'], env: { RUSTDOCFLAGS: '--cfg cs_ww' } }, { expect: 'hit' }),
  pair('lints table', { args: build }, { args: build, files: lints }),
  again('lints table', { args: build, files: lints }),
  // cargo's own settings, which leave rustc's calls as they are.
  flag('--message-format json', ['--message-format', 'json'], { expect: 'hit' }),
  flag('--message-format short', ['--message-format', 'short'], { expect: 'hit' }),
  flag('--message-format json-diagnostic-rendered-ansi', ['--message-format', 'json-diagnostic-rendered-ansi'], { expect: 'hit' }),
  flag('--message-format json-render-diagnostics', ['--message-format', 'json-render-diagnostics'], { expect: 'hit' }),
  flag('--color always', ['--color', 'always'], { expect: 'hit' }),
  pair('term.verbose', { args: build }, { args: build, config: 'term.verbose = true' }, { expect: 'hit' }),
  flag('-j1', ['-j1'], { expect: 'hit' }),
  flag('--locked --offline', ['--locked', '--offline'], { expect: 'hit' }),
  flag('--frozen', ['--frozen'], { expect: 'hit' }),
  flag('--timings', ['--timings'], { expect: 'hit' }),
  // Incremental calls run plainly (passthrough:incremental), and two plain ones leave other session
  // dirs and rlibs (their members' names are random): only the programs, the streams and the rest.
  pair('CARGO_INCREMENTAL=1', { args: build }, { args: build, env: { CARGO_INCREMENTAL: '1' } }, { ignore: INCREMENTAL }),
  // The [env] table and build scripts' inputs.
  pair('[env] value', { args: build, config: '[env]\nCS_TABLE = "one"' }, { args: build, config: '[env]\nCS_TABLE = "two"' }),
  pair('[env] relative', { args: build, config: '[env]\nCS_TABLE = "sub"' }, { args: build, config: '[env]\nCS_TABLE = { value = "sub", relative = true }' }),
  pair('[env] force', { args: build, env: { CS_TABLE: 'shell' }, config: '[env]\nCS_TABLE = "table"' }, { args: build, env: { CS_TABLE: 'shell' }, config: '[env]\nCS_TABLE = { value = "table", force = true }' }),
  pair('[env] proc-macro reads it', { args: build, config: '[env]\nCS_MAC_VALUE = "42"' }, { args: build, config: '[env]\nCS_MAC_VALUE = "43"' }),
  pair('rerun-if-env-changed', { args: build, env: { CS_LEVEL: 'one' } }, { args: build, env: { CS_LEVEL: 'two' } }),
  pair('an env var nothing reads', { args: build, env: { CS_UNREAD: 'one' } }, { args: build, env: { CS_UNREAD: 'two' } }, { expect: 'hit' }),
  // Other wrappers and compilers.
  pair('RUSTC_WORKSPACE_WRAPPER', { args: build, files: { ...WW, ...wwApp }, env: { RUSTC_WORKSPACE_WRAPPER: '{CO}/ww.sh' } }, { args: build, files: { ...WW, ...wwApp }, env: { RUSTC_WORKSPACE_WRAPPER: '{CO}/ww.sh', CS_WW: '1' } }),
  pair('CARGO_BUILD_RUSTC_WORKSPACE_WRAPPER', { args: build, files: { ...WW, ...wwApp }, env: { CARGO_BUILD_RUSTC_WORKSPACE_WRAPPER: '{CO}/ww.sh' } }, { args: build, files: { ...WW, ...wwApp }, env: { CARGO_BUILD_RUSTC_WORKSPACE_WRAPPER: '{CO}/ww.sh', CS_WW: '1' } }),
  pair('RUSTC_WORKSPACE_WRAPPER then none', { args: build, files: { ...WW, ...wwApp }, env: { RUSTC_WORKSPACE_WRAPPER: '{CO}/ww.sh', CS_WW: '1' } }, { args: build, files: { ...WW, ...wwApp } }),
  pair('[build] rustc', { args: build }, { args: build, config: `build.rustc = ${JSON.stringify(spawnSync('rustup', ['which', 'rustc'], { encoding: 'utf8' }).stdout.trim())}` }, { expect: 'hit' }),
];
