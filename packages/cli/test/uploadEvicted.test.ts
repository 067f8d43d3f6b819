import t from 'tap';
import { assertOk, copyFixture } from './helpers.js';
import { MemoryRemote, Runner } from './remoteHelpers.js';

// `splitcache clear` (or a gc) while the daemon still uploads what a build stored: the entries it
// evicts can never go up, and their uploads are dropped. That is the user's own doing, not a fault
// of the store: before, each such drop was told as one (`SPLITCACHE_BLOB_MISSING: an upload to the
// remote was dropped: entry … is no longer in the local store`, on the next build's stderr or by
// `server stop`) and counted among the cache errors, as a blob lost from a damaged store is (a
// hunting helper's find, racing `clear` against builds on a remote).
t.test('an entry cleared while its upload is under way is dropped without a fault line', async (t) => {
  const mem = await MemoryRemote.start();
  t.teardown(() => mem.close());
  // A remote 250 ms away: the fixture's uploads, one entry after another, outlast its build.
  mem.delayMs = 250;
  const runner = new Runner({ SPLITCACHE_REMOTE: mem.url });
  t.teardown(() => runner.stop());
  const ws = copyFixture();
  assertOk(t, await runner.cargo(ws, ['build', '--bin', 'fx-app']), 'the build');
  const cleared = await runner.splitcache(['clear']);
  t.equal(cleared.code, 0, '`clear` while uploads are under way', { stderr: cleared.stderr });
  const stopped = await runner.splitcache(['server', 'stop']);
  t.equal(stopped.code, 0, '`server stop` (it finishes the uploads)');
  t.notMatch(stopped.stdout + stopped.stderr, /SPLITCACHE_/, '`server stop` tells of no fault', { said: stopped.stderr });

  const stats = await runner.stats();
  t.ok((stats.remote.dropped ?? 0) > 0, 'some uploads were dropped: the clear came while they were under way', { remote: stats.remote });
  t.same(stats.errors, {}, 'no cache error is counted for them');

  const again = await runner.cargo(ws, ['build', '--bin', 'fx-app']);
  assertOk(t, again, 'the next build');
  t.notMatch(again.stderr, /SPLITCACHE_/, 'the next build is told of no fault');
});
