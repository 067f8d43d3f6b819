import t from 'tap';
import { assertOk, BIN, printingCrate, printingCrateArgs, realRustc, run, Store } from './helpers.js';

// A store too small for what builds use (SPLITCACHE_MAX_SIZE below one build's outputs) evicts,
// while a build stores, the entries the next build asks for first: LRU over such builds gave a
// grep workspace 0 hits in three builds at 30 MiB, and each miss said `new-key`, as if its key
// had changed. Such a miss now says `evicted`, explain and stats say so, and the auto gc that
// evicts an entry used within the hour tells the build the limit is too small.

const build = async (store: Store, rustc: string, crate: string, env: NodeJS.ProcessEnv = {}) =>
  run(BIN, [rustc, ...printingCrateArgs(crate)], { cwd: crate, env: store.env(env) });

t.test('a miss of an evicted entry says evicted, in audit, explain and stats', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const rustc = await realRustc();
  const crate = printingCrate('kept once');
  assertOk(t, await build(store, rustc, crate), 'built and stored');
  assertOk(t, await store.splitcache(['gc', '--max-size', '1']), 'gc to one byte evicts it');
  assertOk(t, await build(store, rustc, crate), 'built again');
  const misses = (await store.audit()).filter((e) => e.outcome === 'miss').map((e) => e.reason);
  t.same(misses, ['new-key', 'evicted'], 'the first miss is a new key, the second an evicted one');
  const explain = await store.splitcache(['explain', 'trial']);
  assertOk(t, explain);
  t.match(explain.stdout, /^trial missed because its entry, stored under the same key, had been evicted/, explain.stdout);
  t.equal((await store.stats()).evicted, 1, 'stats count the entry evicted');
  assertOk(t, await build(store, rustc, crate), 'and the third build');
  t.equal((await store.audit()).at(-1)?.outcome, 'hit', 'hits what the second stored');

  // The mark an eviction leaves keeps no components: it is no earlier entry to compare a new key with.
  assertOk(t, await store.splitcache(['gc', '--max-size', '1']), 'gc evicts it again');
  assertOk(t, await run(BIN, [rustc, ...printingCrateArgs(crate), '-C', 'debuginfo=1'], { cwd: crate, env: store.env() }), 'a build under another key');
  const other = await store.splitcache(['explain', 'trial']);
  t.equal(other.stdout, 'trial missed because no earlier entry of this crate exists\n', 'explain compares it with nothing');
});

t.test('an auto gc that evicts what was used minutes ago says the store is too small, once', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const rustc = await realRustc();
  // One printing crate's entry is ~16 KB: the limit holds one, never two (and takes it: the
  // largest entry stored is otherwise a quarter of the limit).
  const env = { SPLITCACHE_MAX_SIZE: '24K', SPLITCACHE_MAX_ENTRY_SIZE: '20K' };
  const stderr: string[] = [];
  for (const text of ['one', 'two', 'three', 'four']) {
    const r = await build(store, rustc, printingCrate(text), env);
    assertOk(t, r, `crate ${text} builds`);
    stderr.push(r.stderr);
  }
  const lines = stderr.join('').split('\n').filter((l) => l.includes('SPLITCACHE_STORE_TOO_SMALL'));
  t.equal(lines.length, 1, `one line in four builds (at most one a minute): ${stderr.join('')}`);
  t.match(lines[0], /^splitcache: SPLITCACHE_STORE_TOO_SMALL: the store's size limit \(SPLITCACHE_MAX_SIZE, 24\.0 KiB\) made gc evict an entry used \d+ s ago/);
  const stats = await store.stats();
  t.ok(stats.evicted >= 2, `${stats.evicted} entries evicted`);
  const logged = store.daemonLog().split('\n').filter((l) => l.includes('SPLITCACHE_STORE_TOO_SMALL'));
  t.equal(logged.length, 1, `and one in the daemon's log, as in the build's (a soak's daemon logged it at each gc): ${logged.join(' | ')}`);
  t.ok((stats.usage?.blobBytes ?? Infinity) <= 24 * 1024, 'the store keeps to its limit');

  // A store over its limit, cut down by hand: no line (the user asked for it).
  const quiet = new Store();
  t.teardown(() => quiet.stop());
  assertOk(t, await build(quiet, rustc, printingCrate('five')));
  assertOk(t, await quiet.splitcache(['gc', '--max-size', '1']));
  const after = await build(quiet, rustc, printingCrate('six'));
  t.notMatch(after.stderr, /TOO_SMALL/, 'gc by hand says nothing to the next build');
});
