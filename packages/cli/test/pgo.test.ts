import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, BIN, copyFixture, oneFileCrate, run, Store, tempDir } from './helpers.js';

// Profile-guided builds (`-C profile-use=merged.profdata`, as cargo-pgo and
// hand-made PGO pipelines pass it in RUSTFLAGS) are cached: rustc lists the
// profile in dep-info, so each result holds its digest as it holds a source
// file's, and a new profile misses. The profiles are made by Debian's
// llvm-profdata (llvm-14, in .ci/debian-packages.txt) from text profiles;
// rustc's LLVM reads that indexed format.
const sysrootRustc = execFileSync('rustc', ['--print', 'sysroot'], { encoding: 'utf8' }).trim() + '/bin/rustc';
const profdata = ['llvm-profdata', 'llvm-profdata-14'].find((p) => spawnSync(p, ['merge', '--help']).status === 0);
const skip = profdata ? false : 'llvm-profdata is not installed (llvm-14, in .ci/debian-packages.txt)';

/** Writes an indexed profile to `file`: empty, or with counts for a function named `fn`. */
function writeProfile(file: string, fn?: string): void {
  const text = `${file}.proftext`;
  writeFileSync(text, fn ? `:ir\n${fn}\n# Func Hash:\n1234\n# Num Counters:\n1\n# Counter Values:\n7\n` : ':ir\n');
  execFileSync(profdata!, ['merge', '-o', file, text]);
}

const SOURCE = `fn pick(n: usize) -> u64 { if n % 3 == 0 { (n as u64) * 7 } else { (n as u64) ^ 5 } }
fn main() { println!("{}", (0..std::env::args().count() * 1000).map(pick).sum::<u64>()); }
`;

const args = (outDir: string, profile: string) => [
  '--crate-name', 'pgo', '--edition=2021', 'src/main.rs', '--crate-type', 'bin', '--emit=dep-info,link',
  '-C', 'opt-level=2', '-C', `profile-use=${profile}`, '-C', 'extra-filename=-t', '--out-dir', outDir,
];

t.test('-C profile-use is cached, keyed by the profile it reads', { skip }, async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const crate = oneFileCrate(SOURCE, 'pgo');
  mkdirSync(join(crate, 'pgo'));
  const profile = join(crate, 'pgo', 'merged.profdata');
  writeProfile(profile);
  const bin = join(crate, 'out', 'pgo-t');
  const call = () => run(BIN, [sysrootRustc, ...args(join(crate, 'out'), profile)], { cwd: crate, env: store.env() });

  mkdirSync(join(crate, 'plain'));
  assertOk(t, await run(sysrootRustc, args(join(crate, 'plain'), profile), { cwd: crate }), 'a plain PGO build');
  const plain = readFileSync(join(crate, 'plain', 'pgo-t'));

  assertOk(t, await call(), 'the first cached call');
  let stats = await store.stats();
  t.same([stats.misses, stats.hits, stats.passthrough], [1, 0, {}], 'misses and is stored: not passed through');
  t.ok(readFileSync(bin).equals(plain), 'its binary is byte-identical to the plain one');
  rmSync(bin);
  assertOk(t, await call(), 'the same call again');
  stats = await store.stats();
  t.equal(stats.hits, 1, 'hits');
  t.ok(readFileSync(bin).equals(plain), 'and links the same binary');
  t.equal(execFileSync(bin, { encoding: 'utf8' }), '1500498\n', 'which runs');

  writeProfile(profile, 'main');
  assertOk(t, await call(), 'a call after the profile changed');
  stats = await store.stats();
  t.equal(stats.misses, 2, 'misses: the profile is one of its inputs');
  const explained = await store.splitcache(['explain', 'pgo', '--json']);
  assertOk(t, explained, 'explain runs');
  const why = JSON.parse(explained.stdout) as { verdict: string; differences: { name: string }[] };
  t.equal(why.verdict, 'inputs', 'explain: same key, an input differs');
  t.same(why.differences.map((d) => d.name), ['file:pgo/merged.profdata'], 'and names the profile, relative to the crate');

  writeProfile(profile);
  assertOk(t, await call(), 'a call with the first profile back');
  stats = await store.stats();
  t.equal(stats.hits, 2, 'hits the result stored for it');
});

t.test('-C profile-generate is cached per directory: its code names the directory the profiles go to', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const profraws = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.profraw')).length : 0);
  const build = async (crate: string) => {
    const gen = ['--crate-name', 'pgo', '--edition=2021', 'src/main.rs', '--crate-type', 'bin', '--emit=dep-info,link', '-C', `profile-generate=${join(crate, 'raw')}`, '--out-dir', join(crate, 'out')];
    return run(BIN, [sysrootRustc, ...gen], { cwd: crate, env: store.env() });
  };
  const here = oneFileCrate(SOURCE, 'pgo-gen');
  assertOk(t, await build(here), 'an instrumented build');
  rmSync(join(here, 'out', 'pgo'));
  assertOk(t, await build(here), 'the same again');
  let stats = await store.stats();
  t.same([stats.misses, stats.hits, stats.passthrough], [1, 1, {}], 'stored, then a hit');
  execFileSync(join(here, 'out', 'pgo'));
  t.equal(profraws(join(here, 'raw')), 1, 'and its binary writes its profile where the flag said');

  // The same source elsewhere: its own directory is in its code, so it is not served the first one's.
  const there = oneFileCrate(SOURCE, 'pgo-gen');
  assertOk(t, await build(there), 'an instrumented build of the same crate in another directory');
  stats = await store.stats();
  t.same([stats.misses, stats.hits], [2, 1], 'misses');
  execFileSync(join(there, 'out', 'pgo'));
  t.equal(profraws(join(there, 'raw')), 1, 'and its binary writes into its own directory');
  t.equal(profraws(join(here, 'raw')), 1, 'not into the first one\'s');
});

t.test('a cargo build with -C profile-use in RUSTFLAGS: every crate is cached, and a clean rebuild hits them all', { skip }, async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = copyFixture();
  const profile = join(tempDir('profiles'), 'merged.profdata');
  writeProfile(profile);
  const env = { RUSTFLAGS: `-Cprofile-use=${profile}` };
  assertOk(t, await store.cargo(ws, ['build', '--workspace', '--all-targets'], env), 'a cold PGO build');
  const cold = await store.stats();
  t.same(cold.passthrough, {}, 'nothing passed through');
  t.ok(cold.misses > 0, `${cold.misses} crates compiled and stored`);
  assertOk(t, await store.cargo(ws, ['clean']), 'cargo clean');
  assertOk(t, await store.cargo(ws, ['build', '--workspace', '--all-targets'], env), 'a warm PGO build');
  const warm = await store.stats();
  t.equal(warm.hits, cold.misses, 'every crate hits');
  t.equal(warm.misses, cold.misses, 'none misses');
});
