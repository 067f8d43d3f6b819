import t from 'tap';
import { chmodSync, mkdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, run, Store, tempDir } from './helpers.js';

// rustc called as build systems other than cargo call it (a Makefile, Bazel's outputs), where a
// hit's replay did otherwise than a plain rustc (a hunting helper's repros, daemon/src/unlikePlain.ts):
// it made an --out-dir rustc fails to write dep-info in, wrote over a read-only output rustc
// refuses, put a file in place of a dep-info symlink rustc writes through. Each such call now
// compiles (a miss, the entry kept), so it does what a plain rustc does.

const LIB = 'pub fn answer() -> u32 { 42 }\n';

function libCrate(source = LIB): string {
  const dir = tempDir('lib');
  writeFileSync(join(dir, 'lib.rs'), source);
  mkdirSync(join(dir, 'out'));
  mkdirSync(join(dir, 'plain'));
  return dir;
}

const libArgs = (outDir: string, extra: string[] = []) => ['--crate-name', 'l', '--edition=2021', 'lib.rs', '--crate-type', 'lib', '--emit=dep-info,metadata,link', ...extra, '--out-dir', outDir];

async function rustc(store: Store | undefined, cwd: string, args: string[]) {
  return store ? run(BIN, ['rustc', ...args], { cwd, env: store.env() }) : run('rustc', args, { cwd });
}

async function outcomes(store: Store) {
  return (await store.audit()).map((e) => `${e.outcome}${e.reason ? `:${e.reason}` : ''}`);
}

t.test('an --out-dir that is not there: the call fails as a plain rustc does, not made by a hit', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const cwd = libCrate();
  mkdirSync(join(cwd, 'out/a/b'), { recursive: true });
  t.equal((await rustc(store, cwd, libArgs('out/a/b'))).code, 0, 'stored');
  rmSync(join(cwd, 'out'), { recursive: true });
  const plain = await rustc(undefined, cwd, libArgs('out/a/b'));
  rmSync(join(cwd, 'out'), { recursive: true, force: true });
  const r = await rustc(store, cwd, libArgs('out/a/b'));
  t.equal(plain.code, 1, `plain rustc fails (${plain.stderr.trim().split('\n')[0]})`);
  t.same([r.code, r.stderr], [plain.code, plain.stderr], 'so does the call through splitcache, word for word');
  t.same(await outcomes(store), ['miss:new-key', 'compile-error'], 'no hit was served');
});

t.test('an output there read-only (Bazel leaves its outputs 0444): refused as a plain rustc refuses it', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const cwd = libCrate();
  t.equal((await rustc(store, cwd, libArgs('out'))).code, 0, 'stored');
  const rlib = join(cwd, 'out', 'libl.rlib');
  const before = readFileSync(rlib);
  chmodSync(rlib, 0o444);
  const r = await rustc(store, cwd, libArgs('out'));
  t.equal(r.code, 1, 'the call fails');
  t.match(r.stderr, /output file .*libl\.rlib is not writeable/, "with rustc's own words");
  t.same(readFileSync(rlib), before, 'the read-only file is left as it was');
  t.equal(lstatSync(rlib).mode & 0o777, 0o444, 'mode and all');
  t.same(await outcomes(store), ['miss:new-key', 'compile-error'], 'no hit was served');
});

t.test('a dep-info file that is a symlink: written through, as rustc does', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const cwd = libCrate();
  t.equal((await rustc(store, cwd, libArgs('out'))).code, 0, 'stored');
  mkdirSync(join(cwd, 'elsewhere'));
  writeFileSync(join(cwd, 'elsewhere', 'l.d'), 'old\n');
  rmSync(join(cwd, 'out', 'l.d'));
  symlinkSync('../elsewhere/l.d', join(cwd, 'out', 'l.d'));
  const r = await rustc(store, cwd, libArgs('out'));
  t.same([r.code, r.stderr], [0, ''], 'the call succeeds');
  t.equal(readlinkSync(join(cwd, 'out', 'l.d')), '../elsewhere/l.d', 'the link stays');
  t.match(readFileSync(join(cwd, 'elsewhere', 'l.d'), 'utf8'), /lib\.rs/, 'and its target has the dep-info');
  t.same(await outcomes(store), ['miss:new-key', 'miss:output-symlink'], 'a miss for that reason');
  const why = await store.splitcache(['explain', 'l']);
  t.match(why.stdout, /its dep-info file was a symlink, which rustc writes through/, `explain says why (${why.stdout.trim()})`);
});

t.test("a Makefile's `-L . --out-dir .`: the call's own earlier outputs are not in its key", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const cwd = libCrate();
  for (let i = 0; i < 3; i++) t.equal((await rustc(store, cwd, libArgs('.', ['-L', '.']))).code, 0, `call ${i} builds`);
  t.same(await outcomes(store), ['miss:new-key', 'hit', 'hit'], 'one miss, then hits (before: miss, miss, hit)');
});

t.test('a lib whose source names its type (`#![crate_type = "lib"]`) with no --crate-type: built plainly, as rustc builds it', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const cwd = libCrate(`#![crate_type = "lib"]\n${LIB}`);
  const args = ['--crate-name', 'attr', '--edition=2021', 'lib.rs', '--emit=dep-info,link', '--out-dir', join(cwd, 'out')];
  t.equal((await rustc(undefined, cwd, [...args.slice(0, -1), join(cwd, 'plain')])).code, 0, 'a plain build');
  t.equal((await rustc(store, cwd, args)).code, 0, 'a build through splitcache');
  t.same(readFileSync(join(cwd, 'out', 'libattr.rlib')), readFileSync(join(cwd, 'plain', 'libattr.rlib')), 'the same rlib (split as a bin, its crate hash differed)');
  const s = await store.stats();
  t.same(s.passthrough, { 'crate-type-attr': 1 }, 'passed through, for that reason');
});

t.test('a bin `foo` beside a lib `foo` in one dir (`-L .`): the lib is an input of the bin, and a changed lib misses', async (t) => {
  // Only what a call writes itself is left out of its key: left out by name, the bin hit after its lib changed (a review's repro).
  const store = new Store();
  t.teardown(() => store.stop());
  const cwd = tempDir('same-name');
  writeFileSync(join(cwd, 'main.rs'), 'extern crate foo;\nfn main() { println!("{}", foo::ANSWER); }\n');
  const lib = (answer: number) => {
    writeFileSync(join(cwd, 'lib.rs'), `pub const ANSWER: u32 = ${answer};\n`);
    return rustc(store, cwd, ['--crate-name', 'foo', '--edition=2021', 'lib.rs', '--crate-type', 'lib', '--emit=dep-info,metadata,link', '-L', '.', '--out-dir', cwd]);
  };
  const bin = () => rustc(store, cwd, ['--crate-name', 'foo', '--edition=2021', 'main.rs', '--crate-type', 'bin', '--emit=dep-info,link', '-L', '.', '--out-dir', cwd]);
  for (const answer of [42, 43]) {
    t.equal((await lib(answer)).code, 0, `the lib says ${answer}`);
    t.equal((await bin()).code, 0, 'the bin builds');
    t.equal((await run(join(cwd, 'foo'), [])).stdout, `${answer}\n`, `and prints ${answer}`);
  }
});

t.test("a staticlib's own earlier archive in a searched out dir is left out too", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const cwd = libCrate();
  const args = ['--crate-name', 'l', '--edition=2021', 'lib.rs', '--crate-type', 'staticlib', '--emit=dep-info,link', '-L', '.', '--out-dir', cwd];
  for (let i = 0; i < 3; i++) t.equal((await rustc(store, cwd, args)).code, 0, `call ${i} builds`);
  t.same(await outcomes(store), ['miss:new-key', 'hit', 'hit'], 'one miss, then hits');
});

t.test('an --out-dir that is a file: the call fails as a plain rustc does, with no line of splitcache', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const cwd = libCrate();
  t.equal((await rustc(store, cwd, libArgs('o'))).code, 1, 'o not there: fails, as plainly');
  mkdirSync(join(cwd, 'o'));
  t.equal((await rustc(store, cwd, libArgs('o'))).code, 0, 'stored');
  rmSync(join(cwd, 'o'), { recursive: true });
  writeFileSync(join(cwd, 'o'), 'a file');
  const plain = await rustc(undefined, cwd, libArgs('o'));
  const r = await rustc(store, cwd, libArgs('o'));
  t.same([r.code, r.stderr], [plain.code, plain.stderr], `as plain rustc, word for word (${plain.stderr.trim().split('\n')[0]})`);
});

t.test('an --out-dir with `..` after a link (`link/../out`): built plainly, where rustc writes', async (t) => {
  // Ingest read, and a hit wrote, the dir path.resolve() names, beside the link: a stale rlib there
  // was stored as the new source's result, and another checkout hit it (a path audit helper's repro).
  const store = new Store();
  t.teardown(() => store.stop());
  const cwd = libCrate();
  mkdirSync(join(cwd, 'real', 'sub'), { recursive: true });
  mkdirSync(join(cwd, 'real', 'out'));
  symlinkSync(join(cwd, 'real', 'sub'), join(cwd, 'link'));
  for (let i = 0; i < 2; i++) t.equal((await rustc(store, cwd, libArgs('link/../out'))).code, 0, `call ${i} builds`);
  t.ok(lstatSync(join(cwd, 'real', 'out', 'libl.rlib')).isFile(), 'into the dir the kernel names');
  t.same((await store.stats()).passthrough, { 'out-dir-through-link': 2 }, 'passed through, for that reason');
});

// A Makefile's Rust dylib, taken by `extern crate foo;` from an `-L crate=` dir with no `--extern`:
// rustc reads its metadata (and inlines its generics) as from an rlib. Its `.so` was in no key, so
// after it was rebuilt with a changed generic, a crate over it hit with the old code inlined (a
// read-set audit's repro). A C library beside it is no crate of anyone's, and stays out of the key.
t.test("a Rust dylib found in an -L crate dir is keyed: rebuilt, the crate over it misses", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const dir = tempDir('dylib-search');
  mkdirSync(join(dir, 'lc'));
  const dylib = (n: number) => {
    writeFileSync(join(dir, 'foo.rs'), `pub fn gen<T: Into<u64>>(x: T) -> u64 { x.into() + ${n} }\n`);
    return run('rustc', ['--crate-type', 'dylib', '--crate-name', 'foo', '--edition=2021', 'foo.rs', '-C', 'prefer-dynamic', '--out-dir', join(dir, 'lc')], { cwd: dir });
  };
  writeFileSync(join(dir, 'user.rs'), 'extern crate foo;\npub fn u() -> u64 { foo::gen(3u32) }\n');
  writeFileSync(join(dir, 'c.c'), 'int c_thing(void) { return 1; }\n');
  t.equal((await run('cc', ['-shared', '-fPIC', '-o', join(dir, 'lc', 'libcthing.so'), join(dir, 'c.c')])).code, 0, 'a C library beside it');
  const user = async (cached: boolean, session: string) => {
    const out = join(dir, 'out', session);
    mkdirSync(out, { recursive: true });
    const args = ['--crate-type', 'lib', '--crate-name', 'user', '--edition=2021', 'user.rs', '--emit=dep-info,metadata,link', '-L', `crate=${join(dir, 'lc')}`, '--out-dir', out];
    const r = cached ? await run(BIN, ['rustc', ...args], { cwd: dir, env: store.env({ SPLITCACHE_SESSION: session }) }) : await run('rustc', args, { cwd: dir });
    t.equal(r.code, 0, `${session} compiles`);
    return readFileSync(join(out, 'libuser.rlib'));
  };
  t.equal((await dylib(1)).code, 0, 'the dylib, first version');
  const first = await user(true, 'first');
  t.equal((await dylib(1000)).code, 0, 'rebuilt with another generic');
  const plain = await user(false, 'plain');
  t.notOk(first.equals(plain), "the crate over it changes with it (else this test shows nothing)");
  t.ok((await user(true, 'rebuilt')).equals(plain), "the cached crate is a plain call's (old code: the old generic, from a hit)");
  t.same((await store.calls('rebuilt')).map((e) => e.outcome), ['miss'], 'it missed');
  writeFileSync(join(dir, 'c.c'), 'int c_thing(void) { return 2; }\n');
  t.equal((await run('cc', ['-shared', '-fPIC', '-o', join(dir, 'lc', 'libcthing.so'), join(dir, 'c.c')])).code, 0, 'the C library rebuilt');
  await user(true, 'c-rebuilt');
  t.same((await store.calls('c-rebuilt')).map((e) => e.outcome), ['hit'], 'which changes nothing: a hit');
});

// rustc names the crates a link step reads by their real paths. A dependency that is a symlink into
// another tree (a build system's output dir, a shared cache of rlibs) puts that tree's path in the
// bin's .rlink, under no prefix of the call's own dirs: stored, a hit in another checkout would link
// this one's crate in place of its own. Such a result is not stored (daemon/src/rlinkCrates.ts).
t.test('a dependency that is a symlink into another tree: the bin builds, its result is not stored', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const lib = libCrate();
  t.equal((await rustc(undefined, lib, libArgs('out'))).code, 0, 'the lib, built plainly in a tree of its own');
  const cwd = tempDir('linked-dep');
  writeFileSync(join(cwd, 'main.rs'), 'fn main() { println!("{}", l::answer()); }\n');
  mkdirSync(join(cwd, 'deps'));
  mkdirSync(join(cwd, 'out'));
  symlinkSync(join(lib, 'out', 'libl.rlib'), join(cwd, 'deps', 'libl.rlib'));
  const args = ['--crate-name', 'b', '--edition=2021', 'main.rs', '--crate-type', 'bin', '--emit=dep-info,link', '--extern', 'l=deps/libl.rlib', '-L', 'dependency=deps', '--out-dir', join(cwd, 'out')];
  for (const i of [1, 2]) {
    const r = await rustc(store, cwd, args);
    t.same([r.code, r.stderr], [0, ''], `call ${i} builds`);
    t.equal((await run(join(cwd, 'out', 'b'), [])).stdout, '42\n', 'and its binary runs');
  }
  t.same((await store.stats()).notStored, { 'rlink-foreign-crate': 2 }, 'neither result was stored, for that reason');
  t.same(await outcomes(store), ['miss:new-key', 'miss:new-key'], 'so the second call missed too');
});
