import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { PrefixTable } from '@splitcache/paths';
import { parseInvocation } from '@splitcache/rustc';
import { findStaticLib, unnamedDigest, unnamedLibs } from '../src/librarySearch.js';

// A checkout reached through a link (`cargo build --manifest-path link/Cargo.toml`): cargo runs
// rustc in the link's form of the crate's dir, and a relative `-L native=../vendor` (RUSTFLAGS) is
// taken by the kernel from where the link points. Resolved lexically, `link/..` was dropped, the
// dir beside the link searched, and a static library rebuilt in the real one hit with the old
// one's code (a hunting helper's repro: `foo() = 1` where a plain build printed 2).
t.test('a relative -L dir is searched where rustc searches it, through a linked cwd', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'lib-search-'));
  t.teardown(() => rmSync(base, { recursive: true, force: true }));
  mkdirSync(join(base, 'real', 'ws'), { recursive: true });
  mkdirSync(join(base, 'real', 'vendor'));
  writeFileSync(join(base, 'real', 'vendor', 'libfoo.a'), '!<arch>\n');
  writeFileSync(join(base, 'real', 'vendor', 'libdep.rlib'), 'rlib');
  mkdirSync(join(base, 'vendor')); // beside the link: empty
  symlinkSync(join(base, 'real', 'ws'), join(base, 'link'));
  const cwd = join(base, 'link');
  const inv = parseInvocation(['--crate-name', 'a', 'src/lib.rs', '--crate-type', 'lib', '--emit=dep-info,link', '-L', 'native=../vendor', '-L', 'crate=../vendor', '--out-dir', join(cwd, 'out')]);
  const table = new PrefixTable([{ name: 'cwd', path: cwd }]);
  t.same(unnamedLibs(inv, cwd, table, 'native'), [`${cwd}/../vendor/libfoo.a`], 'the native library rustc bundles, named so that the kernel finds it');
  t.same(unnamedLibs(inv, cwd, table, 'crate'), [`${cwd}/../vendor/libdep.rlib`], 'and the crate it may take');
  t.equal(findStaticLib('libfoo.a', inv, cwd), `${cwd}/../vendor/libfoo.a`, 'found by name there too');
});

t.test("the call's own earlier outputs in a searched out dir are left out", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lib-search-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const f of ['libl.rlib', 'libl.rmeta', 'libother.rlib']) writeFileSync(join(dir, f), f);
  const table = new PrefixTable([{ name: 'cwd', path: dir }]);
  const inv = parseInvocation(['--crate-name', 'l', 'lib.rs', '--crate-type', 'lib', '--emit=dep-info,metadata,link', '-L', '.', '--out-dir', '.']);
  t.same(unnamedLibs(inv, dir, table, 'crate'), [`${dir}/./libother.rlib`], 'another crate\'s rlib is kept: an `extern crate` may take it');
  // Only in its out dir: a file of its own name elsewhere (a Makefile's `-L crate=vendor`, an older `l` a
  // newer one's `extern crate l` takes, as the semver trick has it) is another crate's, which rustc may read.
  const elsewhere = parseInvocation(['--crate-name', 'l', 'lib.rs', '--crate-type', 'lib', '--emit=dep-info,metadata,link', '-L', '.', '--out-dir', 'out']);
  t.same(unnamedLibs(elsewhere, dir, table, 'crate').length, 3, 'with another out dir, `libl.rlib` and `libl.rmeta` here are inputs');
  const bin = parseInvocation(['--crate-name', 'l', 'main.rs', '--crate-type', 'bin', '--emit=dep-info,link', '-L', '.', '--out-dir', '.']);
  t.same(unnamedLibs(bin, dir, table, 'crate').length, 3, 'a bin of the same name writes none of them: the lib `l` is an input of its');
  // A bin's or a test's check writes `lib<stem>.rmeta` over the lib's, which it reads first (a review's repro: a hit where plain fails with E0425).
  for (const kind of [['--crate-type', 'bin'], ['--test']]) {
    const check = parseInvocation(['--crate-name', 'l', 'main.rs', ...kind, '--emit=dep-info,metadata', '-L', '.', '--out-dir', '.']);
    t.same(unnamedLibs(check, dir, table, 'crate').length, 3, `${kind.join(' ')} --emit=metadata: the lib's rmeta stays in its key`);
  }
  // A test harness of a lib's source writes an executable, not `libl.rlib`, whatever --crate-type says.
  const harness = parseInvocation(['--crate-name', 'l', 'lib.rs', '--test', '--crate-type', 'lib', '--emit=dep-info,link', '-L', '.', '--out-dir', '.']);
  t.same(unnamedLibs(harness, dir, table, 'crate').length, 3, '--test beside --crate-type lib: the rlib and rmeta there are inputs');
  const check = parseInvocation(['--crate-name', 'l', 'lib.rs', '--crate-type', 'lib', '--emit=dep-info,metadata', '-L', '.', '--out-dir', '.']);
  t.same(unnamedLibs(check, dir, table, 'crate'), [`${dir}/./libl.rlib`, `${dir}/./libother.rlib`], "a lib's check (metadata alone) writes its rmeta, not its rlib: only the rmeta is no input of its (else each check missed after the last)");
});

t.test("a crate dir's Rust dylibs are library files; C shared libraries beside them are not", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lib-search-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'foo.rs'), 'pub fn f() -> u32 { 1 }\n');
  writeFileSync(join(dir, 'c.c'), 'int c_thing(void) { return 1; }\n');
  t.equal(spawnSync('rustc', ['--crate-type', 'dylib', '--crate-name', 'foo', 'foo.rs', '-C', 'prefer-dynamic', '--out-dir', dir], { cwd: dir }).status, 0, 'a Rust dylib');
  t.equal(spawnSync('cc', ['-shared', '-fPIC', '-o', join(dir, 'libcthing.so'), join(dir, 'c.c')]).status, 0, 'a C one');
  writeFileSync(join(dir, 'libfake.so'), 'not an ELF file');
  const table = new PrefixTable([{ name: 'cwd', path: dir }]);
  const inv = (extra: string[]) => parseInvocation(['--crate-name', 'a', 'a.rs', '--crate-type', 'lib', '--emit=dep-info,link', '-L', `crate=${dir}`, '--out-dir', join(dir, 'out'), ...extra]);
  t.same(unnamedLibs(inv([]), dir, table, 'crate'), [`${dir}/libfoo.so`], 'the Rust one only');
  t.same(unnamedLibs(inv([]), dir, table, 'native'), [], 'and no native static library');
  const own = parseInvocation(['--crate-name', 'foo', 'foo.rs', '--crate-type', 'dylib', '--emit=dep-info,link', '-L', '.', '--out-dir', '.']);
  t.same(unnamedLibs(own, dir, table, 'crate'), [], "a dylib's own earlier .so, in the out dir it searches, is no input of its");
});

// The out dir and a searched dir are compared as the kernel finds them, not as text: a Makefile in a
// checkout reached through a link, `--out-dir $(PWD)/out -L crate=out` (the daemon has the cwd with
// links resolved), keyed the call's own last rlib, and each build missed after the one before.
t.test("the call's own outputs are left out however its out dir is spelt, and only its own dir's", async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'lib-search-'));
  t.teardown(() => rmSync(base, { recursive: true, force: true }));
  const cwd = join(base, 'real', 'ws');
  mkdirSync(join(cwd, 'out'), { recursive: true });
  for (const f of ['libl.rlib', 'libl.rmeta', 'libother.rlib']) writeFileSync(join(cwd, 'out', f), f);
  symlinkSync(cwd, join(base, 'link'));
  const table = new PrefixTable([{ name: 'cwd', path: cwd }]);
  const lib = (...extra: string[]) => parseInvocation(['--crate-name', 'l', 'lib.rs', '--crate-type', 'lib', '--emit=dep-info,metadata,link', ...extra]);
  t.same(unnamedLibs(lib('-L', 'crate=out', '--out-dir', join(base, 'link', 'out')), cwd, table, 'crate'), [`${cwd}/out/libother.rlib`], 'the out dir through the link, the search dir under the cwd');
  t.same(unnamedLibs(lib('-L', `crate=${join(base, 'link', 'out')}`, '--out-dir', 'out'), cwd, table, 'crate'), [`${base}/link/out/libother.rlib`], 'and the other way round');
  // `sub/..` names the cwd as text; the kernel takes `..` from where `sub` points, another dir, whose
  // `libl.rlib` is another crate `l` (an older one the call's `extern crate l` may take).
  mkdirSync(join(base, 'other', 'x'), { recursive: true });
  writeFileSync(join(base, 'other', 'libl.rlib'), 'older l');
  symlinkSync(join(base, 'other', 'x'), join(cwd, 'sub'));
  t.same(unnamedLibs(lib('-L', 'crate=sub/..', '--out-dir', '.'), cwd, table, 'crate'), [`${cwd}/sub/../libl.rlib`], 'a dir that is the out dir only as text: its libl.rlib is an input');
});

t.test('a static library named in two native dirs is the first dir\'s, as rustc takes it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lib-search-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const d of ['one', 'two']) {
    mkdirSync(join(dir, d));
    writeFileSync(join(dir, d, 'libfoo.a'), '!<arch>\n');
  }
  const inv = parseInvocation(['--crate-name', 'a', 'a.rs', '--crate-type', 'lib', '-L', 'native=one', '-L', 'native=two', '-l', 'static=foo']);
  t.equal(findStaticLib('libfoo.a', inv, dir), `${dir}/one/libfoo.a`);
});

// What a dir listing showed under a library's name, keyed without opening what is no file: a link
// is followed (a `libfoo.a` linking to the archive a build rebuilds keys that archive's bytes, as
// rustc bundles them), a dangling link or a dir is `absent`, a FIFO or a link to a device `not-a-file`.
t.test('a library file a listing showed: links followed, what is no file never read', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'unnamed-digest-'));
  t.teardown(() => rmSync(base, { recursive: true, force: true }));
  writeFileSync(join(base, 'libreal.a.1'), '!<arch>\n');
  symlinkSync(join(base, 'libreal.a.1'), join(base, 'libreal.a'));
  symlinkSync(join(base, 'gone.a'), join(base, 'libdangling.a'));
  mkdirSync(join(base, 'libdir.a'));
  t.equal(spawnSync('mkfifo', [join(base, 'libpipe.a')]).status, 0, 'mkfifo');
  symlinkSync('/dev/zero', join(base, 'libzero.a'));
  const read: string[] = [];
  const digest = async (p: string) => (read.push(p), `digest of ${p}`);
  const keyed = async (name: string) => unnamedDigest(join(base, name), digest);
  t.equal(await keyed('libreal.a'), `digest of ${join(base, 'libreal.a')}`, 'a link to an archive: its bytes');
  t.equal(await keyed('libdangling.a'), 'absent', 'a dangling link: absent');
  t.equal(await keyed('libdir.a'), 'absent', 'a dir: absent');
  t.equal(await keyed('libpipe.a'), 'not-a-file', 'a FIFO: not-a-file');
  t.equal(await keyed('libzero.a'), 'not-a-file', 'a link to a device: not-a-file');
  t.same(read, [join(base, 'libreal.a')], 'only the archive is read');
});
