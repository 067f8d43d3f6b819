import t from 'tap';
import type { Test } from 'tap';
import { assertOk, Store } from './helpers.js';
import { holdIndex } from './indexHolder.js';

// A subcommand answered by a daemon that stands in for the one before it (that one stopped, still
// finishing a call) asks again until a daemon with the store answers (daemonRequest.ts). It must
// not wait for a lock no stopping daemon holds, nor for ever on one that never ends.

t.jobs = 2;

async function storeHeld(t: Test, named: boolean): Promise<Store> {
  const store = new Store();
  t.teardown(() => store.stop());
  assertOk(t, await store.splitcache(['server', 'start']), 'a daemon makes the store');
  assertOk(t, await store.splitcache(['server', 'stop']), 'and stops');
  await holdIndex(t, store.dir, { named });
  return store;
}

t.test('a lock held by a process that is no daemon: the subcommand says so at once, waiting for nothing', async (t) => {
  const store = await storeHeld(t, false);
  const r = await store.splitcache(['stats']);
  t.equal(r.code, 1, 'it fails, as the store is not to be had');
  t.match(r.stderr, /SPLITCACHE_STORE_LOCKED: .*locked by another process/, `naming the lock (${r.stderr.trim()})`);
  t.notMatch(r.stderr, /waiting for the daemon before this one/, 'not waiting for a daemon that is not stopping');
});

t.test('a stopping daemon that never ends: the subcommand waits its 30 s, says so once, then gives up', async (t) => {
  const store = await storeHeld(t, true);
  const r = await store.splitcache(['stats']);
  t.equal(r.code, 1, 'it ends, failing');
  t.match(r.stderr, /SPLITCACHE_STORE_LOCKED: the daemon before this one \(pid \d+\) still holds the store/, `with the stand-in's line (${r.stderr.trim()})`);
  t.equal(r.stderr.split('waiting for the daemon before this one').length - 1, 1, 'the waiting line said once');
});
