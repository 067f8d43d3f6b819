import t from 'tap';
import { unpack } from 'msgpackr';
import { copyFixture } from './helpers.js';
import { MemoryRemote, Runner, seedRemote } from './remoteHelpers.js';

// A remote hit's time saved is its compile time less all its replay took, the download included:
// it was the compile time less the local copy alone, so a hit that waited seconds on a far remote
// for a crate that compiles in 0.3 s said `saved 297 ms`, and `stats` added it up.

const DELAY = 1500;

/** The compile time the producer recorded in the entry at `entryKey`, as the remote holds it. */
function compileMsOf(items: Map<string, Buffer>, entryKey: string): number {
  const body = items.get(`/ac/${entryKey}`);
  if (!body) throw new Error(`the remote has no entry ${entryKey}`);
  const record = unpack(unpack(body).payload) as { entry: { compileMs: number } };
  return record.entry.compileMs;
}

t.test('a remote hit saves its compile time less the time it spent in the remote', async (t) => {
  const { items } = await seedRemote(['build']);
  const remote = await MemoryRemote.start(items);
  t.teardown(() => remote.close());
  // Each hit asks at least twice in a row (its input set, then its blobs): it spends 2 × DELAY or more in the remote.
  remote.delayGets = DELAY;
  const reader = new Runner({ SPLITCACHE_REMOTE: remote.url, SPLITCACHE_PRODUCER: 'reader' });
  t.teardown(() => reader.stop());
  const built = await reader.cargo(copyFixture(), ['build']);
  t.equal(built.code, 0, 'the reader builds');
  const hits = (await reader.audit()).filter((e) => e.outcome === 'hit' && e.origin === 'remote');
  t.ok(hits.length >= 3, `the reader hits the remote: ${hits.map((e) => e.crate)}`);
  for (const e of hits) {
    const most = Math.max(0, compileMsOf(items, e.entryKey!) - 2 * DELAY);
    t.ok((e.timeSavedMs ?? 0) <= most, `${e.crate} ${e.crateType}: saved ${e.timeSavedMs} ms, at most ${most}`);
  }
  const stats = await reader.stats();
  t.ok(stats.timeSavedMs <= hits.reduce((n, e) => n + Math.max(0, compileMsOf(items, e.entryKey!) - 2 * DELAY), 0), `stats: ${stats.timeSavedMs} ms saved`);
});
