import t, { type Test } from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { assertOk, copyFixture, fileTree, run, Store, tempDir } from './helpers.js';
import { spawnSync } from 'node:child_process';

// `--remap-path-scope` (stable rustc) says which outputs `--remap-path-prefix`
// rewrites; cargo passes it for a profile's `trim-paths`. It was an unknown flag
// to splitcache, so every call of such a build passed through uncached.

t.test('a build with --remap-path-scope is cached, byte-identical to plain cargo', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = copyFixture();
  const rustflags = `--remap-path-scope=object --remap-path-prefix=${ws}=.`;
  const plainDir = tempDir('plain-target');
  const plain = await run('cargo', ['build'], { cwd: ws, env: { ...process.env, CARGO_INCREMENTAL: '0', RUSTFLAGS: rustflags, CARGO_TARGET_DIR: plainDir } });
  assertOk(t, plain, 'plain cargo builds');

  assertOk(t, await store.cargo(ws, ['build'], { RUSTFLAGS: rustflags, SPLITCACHE_SESSION: 'cold' }), 'a cold build through the cache');
  const cold = (await store.audit('cold')).map((e) => e.outcome);
  t.ok(cold.length >= 5 && cold.every((o) => o === 'miss'), `every crate is looked up and compiled (${cold.join(', ')}; old code: passthrough, unknown-flag:--remap-path-scope)`);
  await store.cargo(ws, ['clean']);
  assertOk(t, await store.cargo(ws, ['build'], { RUSTFLAGS: rustflags, SPLITCACHE_SESSION: 'warm' }), 'a warm build');
  t.same((await store.audit('warm')).map((e) => e.outcome), cold.map(() => 'hit'), 'every crate hits');
  const bin = (dir: string) => readFileSync(join(dir, 'debug', 'fx-app'));
  t.ok(bin(join(ws, 'target')).equals(bin(plainDir)), 'the binary is plain cargo\'s, byte for byte');
});

// A user's own `--remap-path-prefix=<checkout>=/build` (a CI job's RUSTFLAGS) makes every
// output the same wherever the checkout is, but its key kept the checkout's path exact: the
// path ends at an `=`, which ends no path in free text. So a checkout elsewhere missed every
// crate. Its FROM and TO are now normalised apart (daemon/src/remapFlagKey.ts).
t.test("a user's --remap-path-prefix of the checkout hits from a checkout elsewhere, byte-identical to plain cargo there", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const base = tempDir('user-remap');
  // The second path has the first as a prefix: /…/ws and /…/ws2.
  const a = copyFixture(join(base, 'ws'));
  const b = copyFixture(join(base, 'ws2'));
  const flags = (ws: string) => ({ RUSTFLAGS: `--remap-path-prefix=${ws}=/build` });
  assertOk(t, await store.cargo(a, ['build'], { ...flags(a), SPLITCACHE_SESSION: 'a' }), 'checkout A builds');
  assertOk(t, await store.cargo(b, ['build'], { ...flags(b), SPLITCACHE_SESSION: 'b' }), 'checkout B builds');
  const calls = await store.calls('b');
  t.ok(calls.length >= 5, `checkout B's calls are looked up (${calls.length})`);
  t.same(
    calls.filter((e) => e.outcome !== 'hit').map((e) => `${e.crate}:${e.crateType}`),
    [],
    'every call of checkout B hits (old code: every one missed on --remap-path-prefix)',
  );
  const plainDir = tempDir('plain-target');
  assertOk(t, await run('cargo', ['build'], { cwd: b, env: { ...process.env, ...flags(b), CARGO_INCREMENTAL: '0', RUSTC_WRAPPER: '', CARGO_TARGET_DIR: plainDir } }), 'plain cargo builds checkout B');
  const cached = readFileSync(join(b, 'target', 'debug', 'fx-app'));
  t.ok(cached.equals(readFileSync(join(plainDir, 'debug', 'fx-app'))), "B's binary is plain cargo's, byte for byte");
  t.notOk(cached.includes(Buffer.from(a)), "and names nothing of checkout A's");
});

/** A bin on Debian's itoa, built offline from its directory source. */
const ITOA_APP = {
  'Cargo.toml': '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n[dependencies]\nitoa = "1"\n',
  'src/main.rs': 'fn main() { println!("{}", itoa::Buffer::new().format(42u32)); }\n',
  '.cargo/config.toml': '[source.crates-io]\nreplace-with = "deb"\n[source.deb]\ndirectory = "/usr/share/cargo/registry"\n',
};
const NO_ITOA = !existsSync('/usr/share/cargo/registry/itoa-1.0.1') && 'no Debian itoa sources';

/** `files` in two checkouts, A then B, each built with `cargo <args>` and `env(ws)` on one store: the checkouts, and B's calls as `crate:outcome`. */
async function builtTwice(t: Test, files: Record<string, string>, prefix: string, args: string[], env: (ws: string) => NodeJS.ProcessEnv) {
  const store = new Store();
  t.teardown(() => store.stop());
  const [a, b] = ['a', 'b'].map((n) => fileTree(files, `${prefix}-${n}`)) as [string, string];
  assertOk(t, await store.cargo(a, args, { ...env(a), SPLITCACHE_SESSION: 'a' }), 'checkout A builds');
  assertOk(t, await store.cargo(b, args, { ...env(b), SPLITCACHE_SESSION: 'b' }), 'checkout B builds');
  return { a, b, calls: (await store.calls('b')).map((e) => `${e.crate}:${e.outcome}`).sort() };
}

/** The rlib of `crate` in a checkout's target dir. */
function rlibOf(ws: string, crate: string): Buffer {
  const deps = join(ws, 'target', 'debug', 'deps');
  return readFileSync(join(deps, readdirSync(deps).find((f) => f.startsWith(`lib${crate}-`) && f.endsWith('.rlib'))!));
}

// A registry crate's prefix table names its own package and the target dir, not the checkout
// around them: its key kept `--remap-path-prefix=<checkout>=/build` exact, and every registry
// crate missed in a checkout elsewhere (itoa here; every one of a real workspace's).
t.test("a user's --remap-path-prefix of the checkout: registry crates hit from a checkout elsewhere too", { skip: NO_ITOA }, async (t) => {
  const { b, calls } = await builtTwice(t, ITOA_APP, 'remap-reg', ['build', '--offline'], (ws) => ({ RUSTFLAGS: `--remap-path-prefix=${ws}=/build` }));
  t.same(calls, ['app:hit', 'itoa:hit'], 'itoa hits too (old code: it missed on --remap-path-prefix)');
  t.equal((await run(join(b, 'target', 'debug', 'app'), [])).stdout, '42\n', "B's binary runs");
});

// The same with the target dir named through `..` beside the checkout (`target-dir = "../target"`,
// as monorepos share one): rustc gets `<checkout>/../<dir>`, which the FROM covers as written. It
// was resolved before it was compared, and itoa missed in a checkout elsewhere.
t.test("a user's --remap-path-prefix of the checkout, the target dir named with '..': registry crates hit elsewhere", { skip: NO_ITOA }, async (t) => {
  const targetOf = (ws: string) => `${ws}/../${basename(ws)}-target`;
  const { b, calls } = await builtTwice(t, ITOA_APP, 'remap-up', ['build', '--offline'], (ws) => ({ RUSTFLAGS: `--remap-path-prefix=${ws}=/build`, CARGO_TARGET_DIR: targetOf(ws) }));
  t.same(calls, ['app:hit', 'itoa:hit'], 'itoa hits too (old code: it missed on --remap-path-prefix)');
  t.equal((await run(join(targetOf(b), 'debug', 'app'), [])).stdout, '42\n', "B's binary runs");
});

// SPLITCACHE_REMAP=1 maps the cwd to `.`: a registry crate is built in its own package dir, so
// every registry crate's files came out as ./src/lib.rs, one file to a debugger and to llvm-cov
// (a hunting helper's coverage report summed three crates' src/lib.rs in one row). Its dir now
// keeps its name under the registry's placeholder, as cargo's trim-paths keeps it.
t.test('SPLITCACHE_REMAP=1: a registry crate keeps its own dir name under the registry placeholder', { skip: NO_ITOA }, async (t) => {
  const { a, b, calls } = await builtTwice(t, ITOA_APP, 'remap-own', ['build', '--offline'], () => ({ SPLITCACHE_REMAP: '1' }));
  t.same(calls, ['app:hit', 'itoa:hit'], 'checkout B hits both');
  const rlib = rlibOf(b, 'itoa');
  t.ok(rlib.includes(Buffer.from('/splitcache/registry/itoa-1.0.1/src/lib.rs')), "itoa's debuginfo names its file under the registry placeholder, with its own dir");
  t.notOk(rlib.includes(Buffer.from('/usr/share/cargo/registry')), 'and not the registry where it is');
  const bin = (ws: string) => readFileSync(join(ws, 'target', 'debug', 'app'));
  t.ok(bin(a).equals(bin(b)), 'the binaries of both checkouts are byte-identical');
});

// A workspace's root package that a member depends on is also built in its own dir with no
// CARGO_PRIMARY_PACKAGE, as a registry crate is: mapped by its dir's name, a hit in another
// checkout named the first (a review's finding). Only a dir named <name>-<version> is a registry's.
t.test("SPLITCACHE_REMAP=1: a workspace's root package built as a member's dependency names no checkout", async (t) => {
  const files = {
    'Cargo.toml': '[package]\nname = "rootlib"\nversion = "0.1.0"\nedition = "2021"\n[workspace]\nmembers = ["app"]\n',
    'src/lib.rs': 'pub fn n() -> u32 { 7 }\n',
    'app/Cargo.toml': '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n[dependencies]\nrootlib = { path = ".." }\n',
    'app/src/main.rs': 'fn main() { println!("{}", rootlib::n()); }\n',
  };
  const { b, calls } = await builtTwice(t, files, 'remap-root', ['build', '-p', 'app'], () => ({ SPLITCACHE_REMAP: '1' }));
  t.same(calls, ['app:hit', 'rootlib:hit'], 'checkout B hits both');
  const rlib = rlibOf(b, 'rootlib');
  t.notOk(rlib.includes(Buffer.from('remap-root-a')), "B's rlib names nothing of checkout A");
  t.notOk(rlib.includes(Buffer.from('/splitcache/registry/')), 'nor a registry dir');
});

// A git dependency is built in its checkout under CARGO_HOME, where `.` for the cwd made its files
// ./src/lib.rs as registry crates' were: left to the other flags, they keep the revision's dir
// (the table's registry entry is the checkouts of its repository, the dir above).
t.test('SPLITCACHE_REMAP=1: a git dependency keeps its revision dir under a placeholder', async (t) => {
  const repo = fileTree({ 'Cargo.toml': '[package]\nname = "gitdep"\nversion = "0.2.0"\nedition = "2021"\n', 'src/lib.rs': 'pub fn n() -> u32 { 5 }\n' }, 'remap-gitdep');
  for (const args of [['init', '-q'], ['add', '.'], ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'one']]) {
    t.equal(spawnSync('git', args, { cwd: repo }).status, 0, `git ${args.at(-1)}`);
  }
  const files = {
    'Cargo.toml': `[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n[dependencies]\ngitdep = { git = "file://${repo}" }\n`,
    'src/main.rs': 'fn main() { println!("{}", gitdep::n()); }\n',
  };
  const cargoHome = tempDir('cargo-home');
  const { b, calls } = await builtTwice(t, files, 'remap-git', ['build'], () => ({ SPLITCACHE_REMAP: '1', CARGO_HOME: cargoHome }));
  t.same(calls, ['app:hit', 'gitdep:hit'], 'checkout B hits both');
  const rlib = rlibOf(b, 'gitdep');
  t.ok(/\/splitcache\/registry\/[0-9a-f]{7,}\/src\/lib\.rs/.test(rlib.toString('latin1')), "gitdep's debuginfo names its file under the placeholder, its revision's dir kept");
  t.notOk(rlib.includes(Buffer.from(cargoHome)), 'and not the CARGO_HOME where it is');
});
