import t, { type Test } from 'tap';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, run, Store, tempDir } from './helpers.js';

// A checkout built through a symlink (`cargo build --manifest-path cur/Cargo.toml`): cargo names
// its paths through the link, while rustc writes its working directory as the kernel has it
// (symlinks resolved) into debuginfo's comp_dir and the coverage map. A hit in another checkout
// must carry neither the producer's real path nor a remap that the consumer's build would not
// make (helpers' repros).

const APP = {
  'Cargo.toml': '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n',
  'src/main.rs': 'fn main() {\n    println!("hi");\n}\n',
};

/** Two checkouts of APP, A and B, in one temp dir, and the path of a link (not made yet) beside them. */
function checkouts(t: Test): { root: string; a: string; b: string; link: string; store: () => Store } {
  const root = tempDir('linked');
  for (const dir of ['A', 'B']) {
    mkdirSync(join(root, dir, 'src'), { recursive: true });
    for (const [file, text] of Object.entries(APP)) writeFileSync(join(root, dir, file), text);
  }
  const stores: Store[] = [];
  t.teardown(async () => {
    for (const s of stores) await s.stop();
  });
  const store = () => {
    const s = new Store();
    stores.push(s);
    return s;
  };
  return { root, a: join(root, 'A'), b: join(root, 'B'), link: join(root, 'cur'), store };
}

function pointLink(link: string, to: string): void {
  rmSync(link, { force: true });
  symlinkSync(to, link);
}

const throughLink = (link: string) => ['build', '--manifest-path', join(link, 'Cargo.toml')];
const binary = (checkout: string) => readFileSync(join(checkout, 'target', 'debug', 'app'));
const plainEnv = (extra: NodeJS.ProcessEnv) => ({ ...process.env, CARGO_INCREMENTAL: '0', RUSTC_WRAPPER: '', ...extra });

t.test('-C instrument-coverage through a link swapped from one checkout to another: the second gets a map of its own files', async (t) => {
  const { root, a, b, link, store: newStore } = checkouts(t);
  const store = newStore();
  const coverage = { RUSTFLAGS: '-Cinstrument-coverage' };
  pointLink(link, a);
  assertOk(t, await store.cargo(root, throughLink(link), { ...coverage, SPLITCACHE_SESSION: 'a' }), 'A builds through the link');

  pointLink(link, b);
  assertOk(t, await run('cargo', throughLink(link), { cwd: root, env: plainEnv(coverage) }), 'a plain build of B through the link');
  const plain = binary(b);
  t.ok(plain.includes(Buffer.from('__llvm_covmap')), 'the binary has a coverage map');
  assertOk(t, await run('cargo', ['clean', '--manifest-path', join(link, 'Cargo.toml')], { cwd: root, env: plainEnv(coverage) }), 'cargo clean');

  assertOk(t, await store.cargo(root, throughLink(link), { ...coverage, SPLITCACHE_SESSION: 'b' }), 'B builds through the link');
  t.ok(binary(b).equals(plain), "B's binary is the plain one: its map names B's files, not A's");
  const calls = await store.calls('b');
  t.ok(calls.length > 0 && calls.every((c) => c.outcome === 'miss'), `B's call missed: its real directory is another (${calls.map((c) => c.outcome)})`);
});

t.test('SPLITCACHE_REMAP=1, the producer built through a link: a hit elsewhere is byte-identical to that checkout\'s own build', async (t) => {
  const { root, a, b, link, store: newStore } = checkouts(t);
  const shared = newStore();
  pointLink(link, a);
  assertOk(t, await shared.cargo(root, throughLink(link), { SPLITCACHE_REMAP: '1', SPLITCACHE_SESSION: 'a' }), 'A builds through the link');
  assertOk(t, await shared.cargo(b, ['build'], { SPLITCACHE_REMAP: '1', SPLITCACHE_SESSION: 'b' }), 'B builds in its own directory');
  const calls = await shared.calls('b');
  t.ok(calls.length > 0 && calls.every((c) => c.outcome === 'hit'), `B's call hit (${calls.map((c) => c.outcome)})`);
  const hit = binary(b);

  assertOk(t, await run('cargo', ['clean'], { cwd: b, env: plainEnv({}) }), 'cargo clean');
  assertOk(t, await newStore().cargo(b, ['build'], { SPLITCACHE_REMAP: '1' }), 'B again with a store of its own');
  t.ok(hit.equals(binary(b)), "the hit's binary is B's own: A's real path is remapped too, not only the link's");
  t.notOk(hit.includes(Buffer.from(a)), "A's path is nowhere in it");
});

t.test("a --remap-path-prefix of the link (which rustc's real working directory is not under) is not taken for one of the real path", async (t) => {
  const { root, a, b, link, store: newStore } = checkouts(t);
  const store = newStore();
  pointLink(link, a);
  assertOk(t, await store.cargo(root, throughLink(link), { RUSTFLAGS: `--remap-path-prefix=${link}=/build`, SPLITCACHE_SESSION: 'a' }), 'A builds through the link, remapping the link');
  const remapB = { RUSTFLAGS: `--remap-path-prefix=${b}=/build` };
  assertOk(t, await run('cargo', ['build'], { cwd: b, env: plainEnv(remapB) }), 'a plain build of B, remapping its own path');
  const plain = binary(b);
  assertOk(t, await run('cargo', ['clean'], { cwd: b, env: plainEnv(remapB) }), 'cargo clean');
  assertOk(t, await store.cargo(b, ['build'], { ...remapB, SPLITCACHE_SESSION: 'b' }), 'B under splitcache');
  t.ok(binary(b).equals(plain), "B's binary is the plain one, remapped");
  t.notOk(binary(b).includes(Buffer.from(a)), "A's real path, which its remap did not cover, is nowhere in it");
});

// rustc writes the real working dir below a FROM that covers it (/build/A): a FROM above both
// checkouts, built through one link, was keyed 'remapped' alone, and B hit A's entry and named A.
t.test('a --remap-path-prefix above the checkouts, built through one link: each names its own real dir below FROM', async (t) => {
  const { root, a, b, link, store: newStore } = checkouts(t);
  const store = newStore();
  const remap = { RUSTFLAGS: `--remap-path-prefix=${root}=/build` };
  pointLink(link, a);
  assertOk(t, await store.cargo(root, throughLink(link), { ...remap, SPLITCACHE_SESSION: 'a' }), 'A builds through the link');
  pointLink(link, b);
  assertOk(t, await store.cargo(root, throughLink(link), { ...remap, SPLITCACHE_SESSION: 'b' }), 'then B, through the same link');
  t.ok(binary(b).includes(Buffer.from('/build/B')), "B's binary names /build/B (its comp_dir), as plain cargo's does");
  t.notOk(binary(b).includes(Buffer.from('/build/A')), 'and not /build/A (old code: it hit A\'s entry)');
});
