import t, { type Test } from 'tap';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseInvocation } from '@splitcache/rustc';
import { cargoCwdOf, prefixTableFor, rlinkUnwritable } from '../src/prefixes.js';

const SYSROOT = '/opt/rust';

/** A bin's call as cargo makes it, in the workspace `ws` with the target dir `target`. */
function binCall(ws: string, target: string) {
  return parseInvocation([
    '--crate-name', 'app', '--edition=2021', 'src/main.rs', '--crate-type', 'bin', '--emit=dep-info,link',
    '--out-dir', `${target}/debug/deps`, '-L', `dependency=${target}/debug/deps`,
  ]);
}

/** A temp dir, removed after the test. */
function scratch(t: Test): string {
  const root = mkdtempSync(join(tmpdir(), 'prefixes-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  return root;
}

t.test("a target dir reached through a symlink: its real path is a prefix of its own, which expands to this call's real path", async (t) => {
  const root = scratch(t);
  const ws = join(root, 'ws');
  mkdirSync(ws);
  mkdirSync(join(root, 'real-a'));
  symlinkSync(join(root, 'real-a'), join(ws, 'target'));
  const table = prefixTableFor(binCall(ws, join(ws, 'target')), ws, { TMPDIR: '/tmp' }, SYSROOT, []);
  t.equal(table.normalise(join(root, 'real-a/CACHEDIR.TAG')), '@@sc:target_real@@/CACHEDIR.TAG', 'the real path is normalised, not left to the temp dir prefix');
  t.equal(table.normalise(join(root, 'real-a/debug/deps/libutil-1.rlib')), '@@sc:profile_real@@/deps/libutil-1.rlib', "and its profile dir's, as the profile dir's own (profileDirs.ts)");
  t.equal(table.normalise(join(ws, 'target/debug/deps/libutil-1.rlib')), '@@sc:profile@@/deps/libutil-1.rlib', 'the path as cargo gave it: the profile dir');
  t.equal(table.normalise(join(ws, 'target/tmp/x')), '@@sc:target@@/tmp/x', 'the target dir, as before');

  const other = join(root, 'other');
  mkdirSync(other);
  const plain = prefixTableFor(binCall(other, join(other, 'target')), other, { TMPDIR: '/tmp' }, SYSROOT, []);
  t.equal(plain.expand('@@sc:target_real@@/debug/deps/libutil-1.rlib'), join(other, 'target/debug/deps/libutil-1.rlib'), "a target dir that is no symlink: its own path");
  t.equal(plain.normalise(join(other, 'target/x.rlib')), '@@sc:target@@/x.rlib', 'which still normalises as `target`');
});

t.test('a target dir given relative reaches rustc with its `..`: the prefix keeps that form, and its paths normalise', async (t) => {
  // A registry crate's call, built in its own dir, with `target-dir = "../target"` in /ws/.cargo/config.toml.
  const call = binCall('/ws', '/ws/../target');
  const table = prefixTableFor(call, '/registry/tinydep-0.1.0', { TMPDIR: '/tmp' }, SYSROOT, []);
  t.equal(table.normalise('/ws/../target/debug/deps/libtinydep-1.rlib'), '@@sc:profile@@/deps/libtinydep-1.rlib', 'as the arguments give it');
  const elsewhere = prefixTableFor(binCall('/ci/job-7/ws', '/ci/job-7/ws/../target'), '/registry/tinydep-0.1.0', { TMPDIR: '/tmp' }, SYSROOT, []);
  t.equal(elsewhere.expand('@@sc:target@@/debug/deps/libtinydep-1.rlib'), '/ci/job-7/ws/../target/debug/deps/libtinydep-1.rlib', 'and expands to the form another checkout gives');
});

t.test('a build dir apart from the target dir: the layout names the build dir `target`, CARGO_TARGET_DIR is `target_dir`', async (t) => {
  const table = prefixTableFor(binCall('/ws', '/cache/build/ws-1'), '/ws', { TMPDIR: '/tmp', CARGO_TARGET_DIR: '/out/target' }, SYSROOT, []);
  t.equal(table.normalise('/cache/build/ws-1/debug/deps/libutil-1.rlib'), '@@sc:profile@@/deps/libutil-1.rlib', 'where rustc writes: the build dir');
  t.equal(table.normalise('/out/target/debug/app'), '@@sc:target_dir_profile@@/app', 'where cargo puts the final artifacts: its profile dir');
  t.equal(table.normalise('/out/target/tmp'), '@@sc:target_dir@@/tmp', 'and the rest of it');
  const plain = prefixTableFor(binCall('/ws', '/out/target'), '/ws', { TMPDIR: '/tmp', CARGO_TARGET_DIR: '/out/target/' }, SYSROOT, []);
  t.notOk(plain.entries.some((e) => e.name === 'target_dir'), 'no build dir apart: no second entry');
});

t.test('a build dir apart, the target dir named by no variable (`--target-dir`): an integration test\'s CARGO_BIN_EXE_ paths give it', async (t) => {
  const env = { TMPDIR: '/tmp', CARGO_TARGET_TMPDIR: '/cache/build/ws-1/tmp', CARGO_BIN_EXE_app: '/out/t/debug/app' };
  const table = prefixTableFor(binCall('/ws', '/cache/build/ws-1'), '/ws', env, SYSROOT, []);
  t.equal(table.normalise('/out/t/debug/app'), '@@sc:target_dir_profile@@/app', 'the bin, under the target dir');
  const otherProfile = prefixTableFor(binCall('/ws', '/cache/build/ws-1'), '/ws', { ...env, CARGO_BIN_EXE_app: '/out/t/release/app' }, SYSROOT, []);
  t.notOk(otherProfile.entries.some((e) => e.name === 'target_dir'), 'a path not in the call\'s profile dir names no target dir');
  const same = prefixTableFor(binCall('/ws', '/ws/target'), '/ws', { ...env, CARGO_BIN_EXE_app: '/ws/target/debug/app' }, SYSROOT, []);
  t.notOk(same.entries.some((e) => e.name === 'target_dir'), 'no build dir apart: no second entry');
});

t.test("cargo's coming build-dir layout (<profile>/build/<pkg>/<hash>/out for every unit): the build dir is found from the out-dir", async (t) => {
  const call = parseInvocation([
    '--crate-name', 'fx_util', '--edition=2021', 'util/src/lib.rs', '--crate-type', 'lib', '--emit=dep-info,metadata,link',
    '--out-dir', '/cache/bd/debug/build/fx-util/5d9eb64c9d8fe8f0/out', '-L', 'dependency=/cache/bd/debug/build/fx-core/2fffa59667c2e04e/out',
  ]);
  const table = prefixTableFor(call, '/ws', { TMPDIR: '/tmp' }, SYSROOT, []);
  t.equal(table.normalise('/cache/bd/debug/build/fx-core/2fffa59667c2e04e/out/libfx_core-1.rlib'), '@@sc:profile@@/build/fx-core/2fffa59667c2e04e/out/libfx_core-1.rlib', "a dependency's output, under the build dir's profile dir");
});

t.test("the cwd in cargo's form: the kernel's, symlinks resolved, taken back to the form CARGO_MANIFEST_DIR has", async (t) => {
  const root = scratch(t);
  mkdirSync(join(root, 'registry/dep-1.0'), { recursive: true });
  mkdirSync(join(root, 'ws/member'), { recursive: true });
  symlinkSync(join(root, 'registry'), join(root, 'reg-link'));
  symlinkSync(join(root, 'ws'), join(root, 'ws-link'));
  const real = (p: string) => join(root, p);
  t.equal(cargoCwdOf(real('registry/dep-1.0'), { CARGO_MANIFEST_DIR: real('reg-link/dep-1.0') }), real('reg-link/dep-1.0'), "a registry crate, built in its own dir, which cargo reached through a link");
  t.equal(cargoCwdOf(real('ws'), { CARGO_MANIFEST_DIR: real('ws-link/member') }), real('ws-link'), 'a workspace member, built in the workspace root, which cargo reached through a link');
  t.equal(cargoCwdOf(real('ws'), { CARGO_MANIFEST_DIR: real('ws/member') }), real('ws'), 'no link in the way');
  t.equal(cargoCwdOf(real('ws'), {}), real('ws'), 'no CARGO_MANIFEST_DIR (rustc called by hand)');
  t.equal(cargoCwdOf(real('ws'), { CARGO_MANIFEST_DIR: real('registry/dep-1.0') }), real('ws'), 'a package that is not where the call runs');
  t.equal(cargoCwdOf(real('ws'), { CARGO_MANIFEST_DIR: real('gone/dep') }), real('ws'), 'a package dir that is not there');
});

t.test('a control character the .rlink codec refuses, in a path a .rlink holds, passes the crate through; in TMPDIR it does not', async (t) => {
  const table = (ws: string, tmp = '/tmp') => prefixTableFor(binCall(ws, `${ws}/target`), ws, { TMPDIR: tmp, HOME: '/home/u' }, SYSROOT, []);
  t.equal(rlinkUnwritable(table('/w/plain')), undefined, 'a plain checkout');
  // DEL (0x7f) too: the codec writes no path holding it, as none holding a tab or newline (rlink/nextUnsafeIndex.ts).
  for (const c of ['\t', '\n', '\u007f']) t.equal(rlinkUnwritable(table(`/w/a${c}b`)), 'control-char-path', JSON.stringify(c));
  t.equal(rlinkUnwritable(table('/w/plain', '/tmp/a\tb')), undefined, 'a tab in TMPDIR, which no .rlink holds');
});

t.test('the profile dir is a prefix of its own: a custom profile of the same settings has the same key text; under --target, the host one beside it', async (t) => {
  const call = (profile: string) => binCall('/ws', '/ws/target').args.map((a) => a.replace('/debug/', `/${profile}/`));
  const text = (profile: string) => {
    const inv = parseInvocation(call(profile));
    const table = prefixTableFor(inv, '/ws', { TMPDIR: '/tmp' }, SYSROOT, []);
    return inv.args.map((a) => table.normaliseText(a)).join(' ');
  };
  t.equal(text('ci'), text('release'), '--profile ci and --release: the same arguments, normalised');
  t.match(text('ci'), '--out-dir @@sc:profile@@/deps', 'the out-dir under the profile dir');
  const cross = parseInvocation([
    '--crate-name', 'app', '--edition=2021', 'src/main.rs', '--crate-type', 'bin', '--target', 'x86_64-unknown-linux-gnu',
    '--out-dir', '/ws/target/x86_64-unknown-linux-gnu/ci/deps', '-L', 'dependency=/ws/target/x86_64-unknown-linux-gnu/ci/deps', '-L', 'dependency=/ws/target/ci/deps',
  ]);
  const table = prefixTableFor(cross, '/ws', { TMPDIR: '/tmp' }, SYSROOT, []);
  t.equal(table.normalise('/ws/target/x86_64-unknown-linux-gnu/ci/deps/libcalc-1.rlib'), '@@sc:triple_profile@@/deps/libcalc-1.rlib', "a target's crate");
  t.equal(table.normalise('/ws/target/ci/deps/libmac-1.so'), '@@sc:profile@@/deps/libmac-1.so', 'a host crate (a proc-macro)');
  t.equal(table.normalise('/ws/target/tmp'), '@@sc:target@@/tmp', 'the rest of the target dir');
});
