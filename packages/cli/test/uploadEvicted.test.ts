import t from 'tap';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, copyFixture } from './helpers.js';
import { MemoryRemote, Runner } from './remoteHelpers.js';

// `splitcache clear` (or a gc) while the daemon still uploads what a build stored: the entries it
// evicts can never go up, and their uploads are dropped. That is the user's own doing, not a fault
// of the store: before, each such drop was told as one (`SPLITCACHE_BLOB_MISSING: an upload to the
// remote was dropped: entry … is no longer in the local store`, on the next build's stderr or by
// `server stop`) and counted among the cache errors, as a blob lost from a damaged store is (a
// hunting helper's find, racing `clear` against builds on a remote).
//
// The worker takes the queue a batch at a time in key order, each entry's blobs read as its upload
// begins: the first entry's PUTs are held until the build has queued the rest, then blob PUTs alone,
// so the next batch is in hand, its first entry's blobs sent, when the clear comes. Whether that
// batch holds a second entry, which the clear leaves without its blobs, turns on the entries' keys;
// each round edits the leaf crate, so its keys, until one does (a remote 250 ms away, relied on
// first, let a fast machine upload the one entry in hand before the clear, and drop none).
t.test('an entry cleared while its upload is under way is dropped without a fault line', async (t) => {
  const mem = await MemoryRemote.start();
  t.teardown(() => mem.close());
  const runner = new Runner({ SPLITCACHE_REMOTE: mem.url, SPLITCACHE_REMOTE_TIMEOUT: '120' });
  t.teardown(() => runner.stop());
  const ws = copyFixture();
  const until = async (cond: () => boolean) => {
    for (let i = 0; i < 600 && !cond(); i++) await new Promise((r) => setTimeout(r, 50));
    return cond();
  };
  const gate = () => {
    let open = () => {};
    return { held: new Promise<void>((r) => (open = r)), open: () => open() };
  };
  const said: string[] = [];
  let dropped = 0;
  let rounds = 0;
  while (dropped === 0 && rounds < 8) {
    rounds++;
    appendFileSync(join(ws, 'core/src/lib.rs'), `// round ${rounds}\n`);
    const first = gate();
    mem.log.length = 0;
    mem.items.clear(); // nothing for the build to hit there: every crate is stored, and uploaded
    mem.holdUnder = '/';
    mem.holdPuts = first.held;
    assertOk(t, await runner.cargo(ws, ['build', '--bin', 'fx-app']), `round ${rounds}: the build`);
    const started = await until(() => mem.count('PUT') > 0);
    const next = gate();
    mem.holdPuts = next.held;
    mem.holdUnder = '/cas/';
    first.open();
    // A blob PUT after the first entry's record: the next batch's first entry.
    const nextBatch = await until(() => {
      const record = mem.log.findIndex((l) => l.method === 'PUT' && l.path.startsWith('/ac/'));
      return record >= 0 && mem.log.slice(record).some((l) => l.method === 'PUT' && l.path.startsWith('/cas/'));
    });
    const cleared = await runner.splitcache(['clear']);
    next.open();
    mem.holdPuts = undefined;
    t.ok(started && nextBatch && cleared.code === 0, `round ${rounds}: \`clear\` while uploads are under way`, { stderr: cleared.stderr });
    const stopped = await runner.splitcache(['server', 'stop']);
    t.equal(stopped.code, 0, `round ${rounds}: \`server stop\` (it finishes the uploads)`);
    said.push(...(stopped.stdout + stopped.stderr).split('\n').filter((l) => l.includes('SPLITCACHE_')));
    dropped = (await runner.stats()).remote.dropped ?? 0;
  }
  t.ok(dropped > 0, `some uploads were dropped (round ${rounds}): the clear came while they were under way`);
  t.same(said, [], '`server stop` tells of no fault');
  t.same((await runner.stats()).errors, {}, 'no cache error is counted for them');

  const again = await runner.cargo(ws, ['build', '--bin', 'fx-app']);
  assertOk(t, again, 'the next build');
  t.notMatch(again.stderr, /SPLITCACHE_/, 'the next build is told of no fault');
});
