import t from 'tap';
import type { Test } from 'tap';
import { rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, fileTree, run, BIN, Store } from './helpers.js';

// `explain` answered "why did its last miss miss" whatever came after it: a crate whose calls
// were all passed through (a dev build, CARGO_INCREMENTAL unset) "has no recorded miss"; one
// whose later build hit was explained as if it had just missed; a result too large to store
// read as "no earlier entry of this crate exists"; a first test build was compared with the
// lib's entry (five differences); and a misspelt name or an unknown session exited 0.

const tiny = () =>
  fileTree(
    {
      'Cargo.toml': '[package]\nname = "tiny"\nversion = "0.1.0"\nedition = "2021"\n',
      'src/lib.rs': 'pub fn f() -> u32 { 1 }\n',
      'src/main.rs': 'fn main() { println!("{}", tiny::f()); }\n',
      'tests/t.rs': '#[test]\nfn t() { assert_eq!(tiny::f(), 1); }\n',
    },
    'explain-latest',
  );

t.test('explain says what the latest call did: a pass-through, a hit after the miss, a test build of its own kind', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = tiny();
  assertOk(t, await store.cargo(ws, ['build'], { CARGO_INCREMENTAL: '1', SPLITCACHE_SESSION: 'inc' }), 'an incremental build');
  t.match((await store.splitcache(['stats'])).stdout, /\npass-through: incremental +2 +\(CARGO_INCREMENTAL=0 caches those\)\n/, 'stats says what caches them');
  const inc = await store.splitcache(['explain', 'tiny']);
  t.equal(inc.code, 0);
  t.equal(inc.stdout, 'tiny was not cached: its latest call ran rustc plainly, passed through for incremental\n  CARGO_INCREMENTAL=0 caches it (cargo compiles dev builds incrementally by default)\n', 'names the pass-through and what caches it');

  rmSync(join(ws, 'target'), { recursive: true });
  assertOk(t, await store.cargo(ws, ['build'], { SPLITCACHE_SESSION: 'one' }), 'a cached build: misses');
  rmSync(join(ws, 'target'), { recursive: true });
  assertOk(t, await store.cargo(ws, ['build'], { SPLITCACHE_SESSION: 'two' }), 'again: hits');
  const hit = await store.splitcache(['explain', 'tiny', '--type', 'lib']);
  t.equal(hit.stdout, 'tiny: its latest call (session two) hit; its last miss, explained:\ntiny missed because no earlier entry of this crate exists\n', 'the hit first, then the miss');
  const both = await store.splitcache(['explain', 'tiny']);
  t.match(both.stdout, /\ntiny \((lib|bin)\) missed because/, 'a name of two crate types: the type explained is named');
  t.equal((await store.splitcache(['explain', 'tiny', '--session', 'two'])).stdout, 'tiny has no recorded miss: its latest call hit\n', 'in a session of hits');

  assertOk(t, await store.cargo(ws, ['test', '--no-run'], { SPLITCACHE_SESSION: 'three' }), 'a test build');
  const test = JSON.parse((await store.splitcache(['explain', 'tiny', '--type', 'test', '--json'])).stdout) as { verdict: string; differences: unknown[] };
  t.same([test.verdict, test.differences.length], ['first-build', 0], "a first test build is a first build, not compared with the lib's entry");
  // The integration test `t` misses; then the package's unit tests (crate tiny) hit. Named by its
  // package, `t`'s miss is explained, and its latest call is its own, not tiny's hit (before, the
  // hit was told as if `t`'s latest call had hit).
  writeFileSync(join(ws, 'tests', 't.rs'), '// edited\n#[test]\nfn t() { assert_eq!(tiny::f(), 1); }\n');
  assertOk(t, await store.cargo(ws, ['test', '--no-run'], { SPLITCACHE_SESSION: 'four' }), 'the integration test edited');
  const lib = join(ws, 'src', 'lib.rs');
  utimesSync(lib, new Date(), new Date());
  assertOk(t, await store.cargo(ws, ['test', '--lib', '--no-run'], { SPLITCACHE_SESSION: 'five' }), 'the unit tests built again, unchanged');
  t.same((await store.audit('five')).filter((e) => e.crateType === 'test').map((e) => `${e.crate} ${e.outcome}`), ['tiny hit'], 'the unit tests hit');
  const other = JSON.parse((await store.splitcache(['explain', 'tiny', '--type', 'test', '--json'])).stdout) as { crate: string; latest?: unknown };
  t.same([other.crate, other.latest], ['t', undefined], "t's miss, with no later call of t's to tell of");

  const typo = await store.splitcache(['explain', 'tinny']);
  t.equal(typo.code, 1, 'a name no call has is an error');
  t.match(typo.stderr, /^splitcache: tinny is named by no call in the audit log .*; did you mean tiny\?\n$/, 'with the names near it');
  t.equal(typo.stdout, '');
  const far = await store.splitcache(['explain', 'itnyy']);
  t.match(far.stderr, /; did you mean tiny\?\n$/, 'two edits away, one a swap of neighbours, it is still named');
  const nosuch = await store.splitcache(['explain', 'tiny', '--session', 'nosuch']);
  t.equal(nosuch.code, 1, 'so is a session with no call of it');
  t.equal(nosuch.stderr, 'splitcache: no call of tiny in session nosuch is in the audit log\n');
});

t.test('a result too large to store: explain says so, not "no earlier entry"', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = tiny();
  const env = { SPLITCACHE_MAX_ENTRY_SIZE: '1K' };
  for (const session of ['one', 'two']) {
    rmSync(join(ws, 'target'), { recursive: true, force: true });
    assertOk(t, await store.cargo(ws, ['build', '--lib'], { ...env, SPLITCACHE_SESSION: session }), `build ${session}`);
  }
  t.match((await run(BIN, ['audit', '--session', 'two'], { env: store.env(env) })).stdout, /miss +tiny +lib +new-key, not stored: too-large\n/, "audit's line says it was not stored, and why");
  const r = await run(BIN, ['explain', 'tiny'], { env: store.env(env) });
  t.equal(
    r.stdout,
    'tiny missed because an earlier call compiled it under the same key, and its result was not stored:\n' +
      '  larger than SPLITCACHE_MAX_ENTRY_SIZE (a quarter of SPLITCACHE_MAX_SIZE unless set)\n' +
      "  and so was this call's: the next build misses too\n",
  );
  // Asked of its session, the result not stored was another session's: it read "no earlier entry".
  t.equal((await run(BIN, ['explain', 'tiny', '--session', 'two'], { env: store.env(env) })).stdout, r.stdout, 'so with --session two');
  // The limit lifted, the next build stores its result: it read "no earlier entry" too.
  await store.stop();
  rmSync(join(ws, 'target'), { recursive: true });
  assertOk(t, await store.cargo(ws, ['build', '--lib'], { SPLITCACHE_SESSION: 'three' }), 'build three, with no limit');
  t.ok((await store.audit('three')).find((e) => e.crate === 'tiny')?.entryKey, 'stores its result');
  t.equal(
    (await store.splitcache(['explain', 'tiny'])).stdout,
    'tiny missed because an earlier call compiled it under the same key, and its result was not stored:\n' +
      '  larger than SPLITCACHE_MAX_ENTRY_SIZE (a quarter of SPLITCACHE_MAX_SIZE unless set)\n',
    'its miss is the result before it not stored',
  );
});

/** A `cargo build --lib` of `ws` from a clean target dir, as session `session`. */
const libBuild = (t: Test, store: Store, ws: string) => async (session: string, env: NodeJS.ProcessEnv = {}) => {
  rmSync(join(ws, 'target'), { recursive: true, force: true });
  assertOk(t, await store.cargo(ws, ['build', '--lib'], { SPLITCACHE_SESSION: session, ...env }), `build ${session}`);
};

/** gc to a byte under what the store keeps: the least recently used entry goes. How many went. */
async function evictOldest(store: Store): Promise<number> {
  const kept = JSON.parse((await store.splitcache(['gc', '--json'])).stdout) as { bytesKept: number };
  return (JSON.parse((await store.splitcache(['gc', '--max-size', String(kept.bytesKept - 1), '--json'])).stdout) as { entriesEvicted: number }).entriesEvicted;
}

// An evicted entry keeps no key parts to compare: explain told an old session's miss "no earlier
// entry of this crate exists" of a crate stored under another key (a soak helper's finding).
t.test('an old miss whose entry was evicted since, of a crate with an entry under another key: explain says it cannot tell the difference, not "no earlier entry"', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const build = libBuild(t, store, tiny());
  await build('one');
  await build('cfg', { RUSTFLAGS: '--cfg zz' });
  await build('again');
  const gc = { entriesEvicted: await evictOldest(store) };
  t.equal(gc.entriesEvicted, 1, "gc evicts the least recently used entry, --cfg zz's");
  const r = await store.splitcache(['explain', 'tiny', '--session', 'cfg']);
  t.equal(r.stdout, "tiny missed under a key whose parts are no longer kept (its entry was evicted or cleared since), so which part of it differs from the key of its one earlier entry can't be told\n");
  const json = JSON.parse((await store.splitcache(['explain', 'tiny', '--session', 'cfg', '--json'])).stdout) as { verdict: string; others?: number };
  t.same([json.verdict, json.others], ['unkept-key', 1]);
  t.equal(JSON.parse((await store.splitcache(['explain', 'tiny', '--session', 'one', '--json'])).stdout).verdict, 'first-build', 'the first build is still a first build');
});

// Counted with no regard to when, an entry stored after the miss was its "earlier entry" (a review's finding).
t.test('a first build whose entry was evicted since, of a crate built after it under another key: still a first build', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const build = libBuild(t, store, tiny());
  await build('first', { RUSTFLAGS: '--cfg zz' });
  await build('plain');
  const gc = { entriesEvicted: await evictOldest(store) };
  t.equal(gc.entriesEvicted, 1, "gc evicts the first build's entry");
  const r = JSON.parse((await store.splitcache(['explain', 'tiny', '--session', 'first', '--json'])).stdout) as { verdict: string };
  t.equal(r.verdict, 'first-build', 'no entry was stored before it');
});

// A package's lib and bin share a crate name: the lib's miss was told with the bin's later hit as
// its latest call (the latest call was taken by crate name alone).
t.test("explain tells the latest call of the miss's own target, not of another of the same name", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = tiny();
  assertOk(t, await store.cargo(ws, ['build'], { SPLITCACHE_SESSION: 'cold' }), 'a cold build: the lib and the bin stored');
  const kept = JSON.parse((await store.splitcache(['gc', '--json'])).stdout) as { bytesKept: number };
  const gc = JSON.parse((await store.splitcache(['gc', '--max-size', String(kept.bytesKept - 1), '--json'])).stdout) as { entriesEvicted: number };
  t.equal(gc.entriesEvicted, 1, "gc evicts the older entry, the lib's");
  rmSync(join(ws, 'target'), { recursive: true });
  assertOk(t, await store.cargo(ws, ['build'], { SPLITCACHE_SESSION: 'after' }), 'a build after it');
  t.same((await store.audit('after')).map((e) => `${e.crateType} ${e.outcome}`), ['lib miss', 'bin hit'], 'the lib misses, then the bin hits');
  const r = JSON.parse((await store.splitcache(['explain', 'tiny', '--json'])).stdout) as { crateType: string; verdict: string; latest?: unknown };
  t.same([r.crateType, r.verdict, r.latest], ['lib', 'evicted', undefined], "the lib's miss, with no later call of the lib's to tell of");
});

// An old session's miss was compared with whatever entry was nearest, a later build's included:
// its first build read "no earlier entry" until a build with `--cfg zz` came, then "--cfg before:
// --cfg zz, now: (absent)"; a same-key miss was compared with the result after it (a helper's finding).
t.test("explain --session of an earlier build compares its miss with what was stored before it, not after", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = tiny();
  const explain = async (session: string) =>
    JSON.parse((await store.splitcache(['explain', 'tiny', '--type', 'lib', '--session', session, '--json'])).stdout) as { verdict: string; differences: { name: string; before?: string; after?: string }[] };
  const build = async (session: string, env: NodeJS.ProcessEnv = {}) => {
    rmSync(join(ws, 'target'), { recursive: true, force: true });
    assertOk(t, await store.cargo(ws, ['build', '--lib'], { SPLITCACHE_SESSION: session, ...env }), `build ${session}`);
  };
  await build('first');
  await build('cfg', { RUSTFLAGS: '--cfg zz' });
  t.equal((await explain('first')).verdict, 'first-build', 'the first build is still a first build after a later one');
  const cfg = await explain('cfg');
  const flag = cfg.differences.find((d) => d.name === '--cfg');
  t.same([cfg.verdict, flag?.before, flag?.after], ['key', undefined, '--cfg zz'], 'the later one is compared with the first: --cfg added');

  // One key, three results: the lib's source (a dep-info input, not the root: a module) edited twice.
  writeFileSync(join(ws, 'src', 'lib.rs'), 'mod m;\npub fn f() -> u32 { m::one() }\n');
  writeFileSync(join(ws, 'src', 'm.rs'), 'pub fn one() -> u32 { 1 }\n');
  await build('mod1');
  writeFileSync(join(ws, 'src', 'm.rs'), 'pub fn one() -> u32 { 1 } // two\n');
  await build('mod2');
  writeFileSync(join(ws, 'src', 'm.rs'), 'pub fn one() -> u32 { 1 } // three\n');
  await build('mod3');
  const inputDigests = async (session: string) => (await explain(session)).differences.filter((d) => d.name.endsWith('m.rs'));
  const [two, three] = [await inputDigests('mod2'), await inputDigests('mod3')];
  t.equal(two.length, 1, 'the second edit is explained by m.rs');
  t.equal(three.length, 1, 'and the third');
  t.not(two[0]?.after, three[0]?.after, "each with its own result's digest");
  t.equal(two[0]?.after, three[0]?.before, 'the second edit is now what the third missed against');

  // The root source edited twice more: each key is one difference (src/lib.rs) from several
  // earlier ones; the one stored last before the miss is what it followed (the first found won).
  writeFileSync(join(ws, 'src', 'lib.rs'), 'mod m;\npub fn f() -> u32 { m::one() + 0 }\n');
  await build('root1');
  writeFileSync(join(ws, 'src', 'lib.rs'), 'mod m;\npub fn f() -> u32 { m::one() + 0 + 0 }\n');
  await build('root2');
  const keyOf = async (session: string) => (await store.audit(session)).find((e) => e.crate === 'tiny' && e.outcome === 'miss')?.key;
  const second = JSON.parse((await store.splitcache(['explain', 'tiny', '--type', 'lib', '--session', 'root2', '--json'])).stdout) as { comparedWith?: string };
  t.equal(second.comparedWith, await keyOf('root1'), 'the second root edit is compared with the first, the build before it');
});
