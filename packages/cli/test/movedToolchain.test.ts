import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, BIN, fileTree, run, Store, tempDir } from './helpers.js';

// A RUSTC script that runs the rustc behind a link it names (`exec /opt/rust/current/bin/rustc
// "$@"`, the link moved to another toolchain) runs another compiler with nothing at its own path
// changed, and the stamps of the toolchain its identity had still hold. Keyed and planned as the
// old compiler, the crates that link were split with the old one's mangling, and the binary was
// unlike a plain build's (a hunt: stable moved to nightly, pinned legacy symbols where nightly's
// are v0); and every lib compiled then was stored under the old compiler's key.
const sysrootOf = (toolchain: string) => spawnSync('rustc', [`+${toolchain}`, '--print', 'sysroot'], { encoding: 'utf8' }).stdout?.trim() ?? '';
const stable = sysrootOf('stable');
const nightly = sysrootOf('nightly');

const skip = !stable || !nightly ? 'no stable and nightly toolchains' : false;

/** A RUSTC script that runs the rustc behind a link it names (`current`), and `point`, which moves the link to a sysroot. */
function movableRustc(): { rustc: string; point: (sysroot: string) => void } {
  const tools = tempDir('toolchains');
  const current = join(tools, 'current');
  const rustc = join(tools, 'rustc');
  writeFileSync(rustc, `#!/bin/sh\nexec '${current}/bin/rustc' "$@"\n`, { mode: 0o755 });
  return {
    rustc,
    point: (sysroot) => {
      rmSync(current, { force: true });
      symlinkSync(sysroot, current);
    },
  };
}

t.test('a RUSTC script whose toolchain link moves builds what plain cargo builds through it', { skip }, async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = fileTree({
    'Cargo.toml': '[workspace]\nmembers = ["lib", "app"]\nresolver = "2"\n',
    'lib/Cargo.toml': '[package]\nname = "lib"\nversion = "0.1.0"\nedition = "2021"\n',
    'lib/src/lib.rs': 'pub fn name<T>() -> &\'static str { std::any::type_name::<T>() }\n',
    'app/Cargo.toml': '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nlib = { path = "../lib" }\n',
    'app/src/main.rs': 'fn main() { println!("{}", lib::name::<Vec<u8>>()); }\n',
  }, 'moved-toolchain');
  const { rustc, point } = movableRustc();
  const app = join(ws, 'target', 'debug', 'app');
  const build = async (session: string, wrapped = true) => {
    assertOk(t, await run('cargo', ['clean'], { cwd: ws }), 'cargo clean');
    const env = store.env({ RUSTC: rustc, SPLITCACHE_SESSION: session, ...(wrapped ? {} : { RUSTC_WRAPPER: undefined }) });
    assertOk(t, await run('cargo', ['build'], { cwd: ws, env }), `cargo build (${session})`);
    return readFileSync(app);
  };

  point(stable);
  t.ok((await build('stable')).equals(await build('stable-plain', false)), 'through the stable toolchain, the binary is a plain build\'s');

  point(nightly);
  const plain = await build('nightly-plain', false);
  t.ok((await build('nightly')).equals(plain), 'the link moved to nightly: the binary is a plain build\'s (it had legacy symbols where nightly\'s are v0)');
  t.ok((await build('nightly-again')).equals(plain), 'and so it is in the next build');
  t.equal((await store.calls('nightly-again')).filter((e) => e.crate === 'app')[0]?.outcome, 'hit', 'where the bin hits');

  assertOk(t, await store.splitcache(['server', 'stop']), 'a new daemon, which finds the identity recorded');
  point(stable);
  t.ok((await build('stable-again')).equals(await build('stable-again-plain', false)), 'moved back to stable: a plain build\'s binary again');
  t.equal((await store.calls('stable-again')).filter((e) => e.crate === 'app')[0]?.outcome, 'hit', 'whose entry of before hits');
});

// A package of one bin: the first call after the move is a crate that links, with no lib before it
// whose rmeta would tell the new version. Its .rlink's version alone says another rustc ran it.
t.test('a bin alone, its RUSTC script moved to nightly: a plain build\'s binary', { skip }, async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = fileTree({
    'Cargo.toml': '[package]\nname = "solo"\nversion = "0.1.0"\nedition = "2021"\n',
    'src/main.rs': 'fn main() { println!("{}", std::any::type_name::<Vec<u8>>()); }\n',
  }, 'moved-bin');
  const { rustc, point } = movableRustc();
  const build = async (session: string, wrapped = true) => {
    assertOk(t, await run('cargo', ['clean'], { cwd: ws }), 'cargo clean');
    const env = store.env({ RUSTC: rustc, SPLITCACHE_SESSION: session, ...(wrapped ? {} : { RUSTC_WRAPPER: undefined }) });
    assertOk(t, await run('cargo', ['build'], { cwd: ws, env }), `cargo build (${session})`);
    return readFileSync(join(ws, 'target', 'debug', 'solo'));
  };
  point(stable);
  t.ok((await build('stable')).equals(await build('stable-plain', false)), 'through stable, a plain build\'s binary');
  point(nightly);
  const plain = await build('nightly-plain', false);
  t.ok((await build('nightly')).equals(plain), 'moved to nightly, a plain build\'s binary: its .rlink named nightly, and it ran again as given');
});

// Outside cargo no `-C metadata` holds the compiler's version: a lib that the moved-to rustc
// compiled with `--emit=dep-info,link` (no metadata), stored under the old compiler's key, was what a later call
// of the old compiler hit. Its version is in the rlib's lib.rmeta member, which rustc wraps in an
// object file, where it was looked for as bare metadata and never found.
t.test('a lib built with --emit=dep-info,link by the moved-to rustc is not what the old rustc hits later', { skip }, async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const src = fileTree({ 'lib.rs': 'pub fn one() -> u32 { 1 }\n' }, 'moved-rlib');
  const { rustc, point } = movableRustc();
  mkdirSync(join(src, 'out'));
  const rlib = join(src, 'out', 'libonly_link.rlib');
  const compile = async (what: string) => {
    rmSync(rlib, { force: true });
    const args = ['--crate-name', 'only_link', '--crate-type', 'lib', '--edition', '2021', '--emit=dep-info,link', 'lib.rs', '--out-dir', 'out'];
    assertOk(t, await run(BIN, [rustc, ...args], { cwd: src, env: store.env({ SPLITCACHE_SESSION: what }) }), what);
    return readFileSync(rlib, 'latin1');
  };
  const versionOf = (sysroot: string) => spawnSync(join(sysroot, 'bin', 'rustc'), ['-V'], { encoding: 'utf8' }).stdout.trim();
  point(stable);
  t.ok((await compile('stable')).includes(versionOf(stable)), 'through stable: a stable rlib');
  point(nightly);
  writeFileSync(join(src, 'lib.rs'), 'pub fn two() -> u32 { 2 }\n');
  t.ok((await compile('nightly')).includes(versionOf(nightly)), 'the link moved to nightly, an edit compiled: a nightly rlib');
  point(stable);
  const again = await compile('stable-again');
  t.ok(again.includes(versionOf(stable)) && !again.includes(versionOf(nightly)), 'moved back to stable, the same source gets a stable rlib, not the nightly one');
});

// The check above compares a version rustc writes into its outputs with the one -vV printed. Where
// those differ for the same compiler (-vV told another version, as RUSTC_OVERRIDE_VERSION_STRING
// does, which rustc does not write into its metadata), each lib's miss was taken for another
// compiler's: nothing was stored, and the identity was probed again at every miss. The compiler
// probed again at once gives the same identity, so its outputs' version is not held against it.
t.test('a compiler whose -vV tells another version than its outputs still has its libs stored', { skip }, async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = fileTree({
    'Cargo.toml': '[workspace]\nmembers = ["a", "b", "c"]\nresolver = "2"\n',
    'a/Cargo.toml': '[package]\nname = "a"\nversion = "0.1.0"\nedition = "2021"\n',
    'a/src/lib.rs': 'pub fn a() -> u32 { 1 }\n',
    'b/Cargo.toml': '[package]\nname = "b"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\na = { path = "../a" }\n',
    'b/src/lib.rs': 'pub fn b() -> u32 { a::a() + 1 }\n',
    'c/Cargo.toml': '[package]\nname = "c"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nb = { path = "../b" }\n',
    'c/src/lib.rs': 'pub fn c() -> u32 { b::b() + 1 }\n',
  }, 'told-version');
  const rustc = join(tempDir('told-version-rustc'), 'rustc');
  writeFileSync(rustc, `#!/bin/sh\ncase " $* " in *" -vV "*) RUSTC_OVERRIDE_VERSION_STRING=1.95.99; export RUSTC_OVERRIDE_VERSION_STRING;; esac\nexec '${stable}/bin/rustc' "$@"\n`, { mode: 0o755 });
  t.match(spawnSync(rustc, ['-vV'], { encoding: 'utf8' }).stdout, /^rustc 1\.95\.99\n/, 'its -vV tells another version');
  const build = async (session: string) => {
    assertOk(t, await run('cargo', ['clean'], { cwd: ws }), 'cargo clean');
    assertOk(t, await run('cargo', ['build', '-j1'], { cwd: ws, env: store.env({ RUSTC: rustc, SPLITCACHE_SESSION: session }) }), `cargo build (${session})`);
    return (await store.calls(session)).map((e) => `${e.crate}:${e.outcome}`).sort();
  };
  await build('first');
  await build('second');
  t.same(await build('third'), ['a:hit', 'b:hit', 'c:hit'], 'a third clean build hits every lib');
});

// The compiler probed again after its outputs named another version is the compiler as it is then,
// not the one that compiled: a link moved to nightly for one compile and back before the probe (two
// builds switching toolchains) gave the old identity again, and its outputs' version was no longer
// held against it: the nightly rlib was stored under the stable compiler's key, and every later
// nightly compile through that link too, for the daemon's life.
t.test('a link moved for one compile and back before the compiler is probed again stores nothing of that compile', { skip }, async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const src = fileTree({ 'lib.rs': 'pub fn one() -> u32 { 1 }\n' }, 'moved-and-back');
  const tools = tempDir('toolchains');
  const sel = join(tools, 'sel');
  const rustc = join(tools, 'rustc');
  // `once`: this compile runs nightly, and the link is moved back to stable as it ends.
  writeFileSync(rustc, `#!/bin/sh\ncase $(cat '${sel}') in\n  once) case " $* " in *" only_link "*) '${nightly}/bin/rustc' "$@"; rc=$?; echo stable >'${sel}'; exit $rc;; esac; exec '${nightly}/bin/rustc' "$@";;\n  nightly) exec '${nightly}/bin/rustc' "$@";;\nesac\nexec '${stable}/bin/rustc' "$@"\n`, { mode: 0o755 });
  mkdirSync(join(src, 'out'));
  const rlib = join(src, 'out', 'libonly_link.rlib');
  const compile = async (what: string, toolchain: string) => {
    writeFileSync(sel, `${toolchain}\n`);
    rmSync(rlib, { force: true });
    const args = ['--crate-name', 'only_link', '--crate-type', 'lib', '--edition', '2021', '--emit=dep-info,link', 'lib.rs', '--out-dir', 'out'];
    assertOk(t, await run(BIN, [rustc, ...args], { cwd: src, env: store.env({ SPLITCACHE_SESSION: what }) }), what);
    return readFileSync(rlib, 'latin1');
  };
  const stableV = spawnSync(join(stable, 'bin', 'rustc'), ['-V'], { encoding: 'utf8' }).stdout.trim();
  const nightlyV = spawnSync(join(nightly, 'bin', 'rustc'), ['-V'], { encoding: 'utf8' }).stdout.trim();
  t.ok((await compile('stable', 'stable')).includes(stableV), 'through stable: a stable rlib');
  writeFileSync(join(src, 'lib.rs'), 'pub fn two() -> u32 { 2 }\n');
  t.ok((await compile('once', 'once')).includes(nightlyV), 'moved to nightly for one compile of an edit: a nightly rlib');
  t.equal(readFileSync(sel, 'utf8'), 'stable\n', 'and moved back to stable as it ended');
  const again = await compile('stable-again', 'stable');
  t.ok(again.includes(stableV) && !again.includes(nightlyV), 'the same source through stable gets a stable rlib, not the nightly one');
  writeFileSync(join(src, 'lib.rs'), 'pub fn three() -> u32 { 3 }\n');
  t.ok((await compile('nightly', 'nightly')).includes(nightlyV), 'moved to nightly for good, an edit compiled: a nightly rlib');
  const third = await compile('stable-third', 'stable');
  t.ok(third.includes(stableV) && !third.includes(nightlyV), 'moved back to stable: a stable rlib again');
});
