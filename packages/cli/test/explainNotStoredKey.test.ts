import t from 'tap';
import type { Test } from 'tap';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, fileTree, Store } from './helpers.js';

// explain says "an earlier call compiled it under the same key, and its result was not stored"
// only where that call's result, had it been stored, is what the miss lacked: not once a later
// call of the key stored its result, and not where a result stored before tells what differs.

/** A lib whose module m.rs (a dep-info input, not in the key) is edited between builds. */
const lib = () =>
  fileTree(
    {
      'Cargo.toml': '[package]\nname = "tiny"\nversion = "0.1.0"\nedition = "2021"\n',
      'src/lib.rs': 'mod m;\npub fn f() -> u32 { m::one() }\n',
      'src/m.rs': 'pub fn one() -> u32 { 1 }\n',
    },
    'explain-not-stored',
  );

/** `cargo build --lib` from a clean target dir as `session`, the daemon started anew with `env`. */
const builder = (t: Test, store: Store, ws: string) => async (session: string, env: NodeJS.ProcessEnv = {}) => {
  await store.stop();
  rmSync(join(ws, 'target'), { recursive: true, force: true });
  assertOk(t, await store.cargo(ws, ['build', '--lib'], { SPLITCACHE_SESSION: session, ...env }), `build ${session}`);
};
const TOO_SMALL = { SPLITCACHE_MAX_ENTRY_SIZE: '1K' };
const explain = async (store: Store, session: string) =>
  JSON.parse((await store.splitcache(['explain', 'tiny', '--session', session, '--json'])).stdout) as { verdict: string; reason?: string; differences: { name: string }[] };

t.test('a miss after the same key stored its result, whose entry was evicted since: not "its result was not stored"', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = lib();
  const build = builder(t, store, ws);
  await build('small', TOO_SMALL);
  await build('stored');
  writeFileSync(join(ws, 'src', 'm.rs'), 'pub fn one() -> u32 { 1 } // edited\n');
  await build('edited');
  const gc = JSON.parse((await store.splitcache(['gc', '--json'])).stdout) as { bytesKept: number };
  const evicted = JSON.parse((await store.splitcache(['gc', '--max-size', String(gc.bytesKept - 1), '--json'])).stdout) as { entriesEvicted: number };
  t.equal(evicted.entriesEvicted, 1, "gc evicts session stored's entry, the older");
  const r = await explain(store, 'edited');
  t.not(r.verdict, 'not-stored', `session stored's call stored its result: ${JSON.stringify(r)}`);
});

t.test('a miss after one not stored, with a result stored before both: explain tells what differs from it, not "its result was not stored"', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = lib();
  const build = builder(t, store, ws);
  await build('first');
  writeFileSync(join(ws, 'src', 'm.rs'), 'pub fn one() -> u32 { 1 } // two\n');
  await build('small', TOO_SMALL);
  // Had session small's result been stored, this edit would have missed it all the same.
  writeFileSync(join(ws, 'src', 'm.rs'), 'pub fn one() -> u32 { 1 } // three\n');
  await build('three');
  const r = await explain(store, 'three');
  t.same([r.verdict, r.differences.filter((d) => d.name.endsWith('m.rs')).length], ['inputs', 1], `m.rs differs from the first build's: ${JSON.stringify(r)}`);
});

t.test('a miss after a hit of its key, the hit after a call of the key that stored nothing: not "its result was not stored"', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = lib();
  const build = builder(t, store, ws);
  await build('first');
  const m = join(ws, 'src', 'm.rs');
  writeFileSync(m, 'pub fn one() -> u32 { 1 } // two\n');
  await build('small', TOO_SMALL);
  // The first build's text again: its entry hits, and the key's latest call stored nothing no more.
  writeFileSync(m, 'pub fn one() -> u32 { 1 }\n');
  await build('back');
  t.match((await store.splitcache(['audit', '--session', 'back'])).stdout, /hit +tiny/, 'session back hits');
  writeFileSync(m, 'pub fn one() -> u32 { 1 } // three\n');
  await build('three');
  // The first build's entry (hit by session back) evicted: no result stored before the miss's own is left to compare with.
  const gc = JSON.parse((await store.splitcache(['gc', '--json'])).stdout) as { bytesKept: number };
  const evicted = JSON.parse((await store.splitcache(['gc', '--max-size', String(gc.bytesKept - 1), '--json'])).stdout) as { entriesEvicted: number };
  t.equal(evicted.entriesEvicted, 1, "gc evicts session first's entry, the older");
  // Had session small's result been stored, this edit would have missed it all the same; the call before it hit.
  const r = await explain(store, 'three');
  t.not(r.verdict, 'not-stored', `the key's latest call before the miss hit: ${JSON.stringify(r)}`);
});
