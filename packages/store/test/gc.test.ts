import t, { type Test } from 'tap';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { collectGarbage, planEviction, parseAge, parseSize, type Store, type AuditEvent, type EntryRecord, type EntrySummary } from '../src/index.js';
import { freshStore } from './freshStore.js';

const e = (key: string, lastAccess: number, blobs: [string, number][]): EntrySummary => ({
  key, lastAccess, blobs: blobs.map(([digest, size]) => ({ digest, size })),
});

/** Commits a one-output lib entry of crate `c<i>` under manifest `manifestKey`, its blob made of `blobText`. */
async function commitLib(store: Store, i: number, o: { entryKey: string; manifestKey: string; blobText: string; inputs?: [string, string][]; components?: [string, string][] }) {
  const data = Buffer.from(o.blobText);
  const digest = await store.blobs.write(data);
  const inputs = o.inputs ?? [];
  const entry: EntryRecord = {
    v: 1, mode: 'whole', crateName: `c${i}`, crateType: 'lib', outputs: [{ name: `libc${i}.rlib`, digest, size: data.length, form: 'raw', role: 'output' }],
    stdout: new Uint8Array(), stderr: new Uint8Array(), exitCode: 0, producer: 'test', createdAt: 1, rustcVersion: 'rustc 1.95.0',
    compileMs: 100, command: ['--crate-name', `c${i}`], inputs,
  };
  await store.commitEntry({ manifestKey: o.manifestKey, manifest: { v: 1, crateName: `c${i}`, components: o.components ?? [] }, result: { entryKey: o.entryKey, inputs, envDeps: [] }, entry });
}

t.test('eviction keeps the most recently hit entries that fit, strictly by recency', async (t) => {
  const entries = [e('old', 1, [['a', 10]]), e('mid', 2, [['b', 60]]), e('new', 3, [['c', 50]])];
  t.same([...planEviction(entries, { maxBytes: 100 }).evict].sort(), ['mid', 'old'], 'mid does not fit, so old (which would) goes too');
  t.same([...planEviction(entries, { maxBytes: 1000 }).evict], [], 'everything fits');
  t.same([...planEviction(entries, { maxBytes: 1000, olderThan: 2 }).evict], ['old'], 'older than the cut-off');
});

t.test('blobs shared by entries count once', async (t) => {
  const entries = [e('x', 2, [['shared', 50], ['x1', 10]]), e('y', 1, [['shared', 50], ['y1', 10]])];
  const plan = planEviction(entries, { maxBytes: 70 });
  t.same([...plan.evict], []);
  t.equal(plan.keptBytes, 70);
});

t.test('sizes and ages parse like ccache settings', async (t) => {
  t.equal(parseSize('10G'), 10 * 2 ** 30);
  t.equal(parseSize('512M'), 512 * 2 ** 20);
  t.equal(parseSize('1.5GiB'), 1.5 * 2 ** 30);
  t.equal(parseSize('4096'), 4096);
  t.equal(parseSize('lots'), undefined);
  t.equal(parseSize('0.4'), undefined, 'a fraction of a byte is no size (rounded, it read as 0: no limit)');
  t.equal(parseSize('0'), 0);
  t.equal(parseSize('0k'), 0);
  t.equal(parseAge('30d'), 30 * 864e5);
  t.equal(parseAge('12h'), 12 * 36e5);
  t.equal(parseAge('soon'), undefined);
});

t.test('gc removes the audit log lines older than auditKeepMs, and only those', async (t) => {
  const store = await freshStore(t, 'sc-auditgc-');
  const day = 864e5;
  const now = Date.now();
  const line = (daysAgo: number, crate: string): AuditEvent => ({ time: now - daysAgo * day, session: 's', crate, crateType: 'lib', outcome: 'hit' });
  await store.appendEvents([line(400, 'ancient'), line(91, 'old'), line(91, 'old2'), line(89, 'recent'), line(0, 'today')]);

  const kept = await collectGarbage(store, { maxBytes: Infinity });
  t.equal(kept.auditLinesRemoved, 0, 'without auditKeepMs the log is kept whole');
  const r = await collectGarbage(store, { maxBytes: Infinity, auditKeepMs: 90 * day });
  t.equal(r.auditLinesRemoved, 3, 'the three lines older than 90 days');
  const left: string[] = [];
  for await (const e of store.events()) left.push(e.crate);
  t.same(left, ['recent', 'today'], 'the rest, in order');
  t.equal((await collectGarbage(store, { maxBytes: Infinity, auditKeepMs: 90 * day })).auditLinesRemoved, 0, 'nothing more to remove');
  t.equal(await store.trimEvents(now + 1), 2, 'trimEvents up to now takes the rest');
});

// A remote that is down for weeks (or gone, still configured): every stored entry is queued for
// upload, and only a working remote's worker ever took an item out of the queue.
t.test('gc takes the queued uploads of the entries it evicts out of the queue', async (t) => {
  const store = await freshStore(t, 'sc-gcqueue-');
  for (let i = 0; i < 50; i++) {
    const entryKey = `${i}`.padStart(32, '0');
    await commitLib(store, i, { entryKey, manifestKey: `${i}`.padStart(32, 'f'), blobText: `object file ${i} `.repeat(100), inputs: [['src/lib.rs', 'ab'.repeat(16)]] });
    await store.putQueued(entryKey, { manifestKey: `${i}`.padStart(32, 'f'), crateName: `c${i}`, inputs: ['src/lib.rs'], envDeps: [], queuedAt: i });
  }
  const r = await collectGarbage(store, { maxBytes: 10 * 2000 });
  const entries: string[] = [];
  for await (const [key] of store.entries()) entries.push(key);
  const queued = (await store.queued(1000)).map(([k]) => k);
  t.ok(r.entriesEvicted >= 30, `${r.entriesEvicted} of 50 entries evicted`);
  t.equal(queued.length, entries.length, `${queued.length} uploads queued for the ${entries.length} entries kept (before: 50)`);
  t.same(queued.sort(), entries.sort(), 'the kept ones');
});

/** A store with manifest m1 holding entry e1, and m2 holding e2b and e2a (newest first); `commit` stores more. */
async function twoManifests(t: Test, prefix: string) {
  const store = await freshStore(t, prefix);
  const commit = (i: number, entryKey: string) =>
    commitLib(store, i, { entryKey, manifestKey: `m${i}`, blobText: `object file ${entryKey} `.repeat(100), components: [['arg', `${i}`]] });
  await commit(1, 'e1');
  await commit(2, 'e2a');
  await commit(2, 'e2b');
  return { store, commit };
}

// A store too small for what builds use evicts, while a build stores, what the next build asks
// for first: every such miss said `new-key`, as if the keys changed. An emptied manifest now
// stays, marked, so the lookup can tell (daemon/src/lookup.ts), until the audit log's age.
t.test('an evicted key leaves its manifest marked, until a new result or auditKeepMs', async (t) => {
  const { store, commit } = await twoManifests(t, 'sc-gcmark-');
  await store.evictEntries(new Set(['e1', 'e2a']), 1000);
  const m1 = await store.getManifest('m1');
  t.same(m1, { v: 1, crateName: 'c1', components: [], results: [], evictedAt: 1000 }, 'its only result evicted: the manifest stays, marked, without its components');
  const m2 = await store.getManifest('m2');
  t.same(m2?.results.map((r) => r.entryKey), ['e2b'], 'a manifest with a result left keeps it');
  // Its miss was `inputs-changed` before, and explain blamed an edit for what the limit did.
  t.same([m2?.evictedResults?.map((r) => r.entryKey), m2?.evictedAt], [['e2a'], 1000], 'and keeps the evicted one as a mark, for a miss of its inputs to say `evicted`');

  await commit(1, 'e1');
  const again = await store.getManifest('m1');
  t.same(again?.results.map((r) => r.entryKey), ['e1'], 'stored again under the key');
  t.equal(again?.evictedAt, undefined, 'the mark goes with the new result');

  await store.evictEntries(new Set(['e1']), 1000);
  t.equal(await store.forgetEvicted(999), 0, 'a mark younger than the cut-off stays');
  t.equal(await store.forgetEvicted(1001), 2, 'older ones go: an emptied manifest, and the mark of a result evicted from another');
  t.equal(await store.getManifest('m1'), undefined);
  const kept = await store.getManifest('m2');
  t.same([kept?.results.map((r) => r.entryKey), kept?.evictedResults, kept?.evictedAt], [['e2b'], undefined, undefined], 'a manifest with results is never forgotten, only its mark');

  await store.evictEntries(new Set(['e2b']), Date.now() - 100 * 864e5);
  const r = await collectGarbage(store, { maxBytes: Infinity, auditKeepMs: 90 * 864e5 });
  t.equal(r.entriesEvicted, 0);
  t.equal(await store.getManifest('m2'), undefined, 'gc forgets marks older than auditKeepMs');
});

t.test("verify's evictions are marked damaged, gc's are not", async (t) => {
  const { store } = await twoManifests(t, 'sc-verifymark-');
  await store.evictEntries(new Set(['e1', 'e2a']), 1000, 'verify');
  t.same(await store.getManifest('m1'), { v: 1, crateName: 'c1', components: [], results: [], evictedAt: 1000, damaged: true }, 'an emptied manifest says verify emptied it');
  t.same((await store.getManifest('m2'))?.evictedResults?.map((r) => [r.entryKey, r.damaged]), [['e2a', true]], 'and an evicted result says so');
  await store.evictEntries(new Set(['e2b']), 2000);
  t.same((await store.getManifest('m2'))?.damaged, undefined, "emptied by gc: gc's mark");
});

t.test('gc reports the last use of the most recently used entry it evicted', async (t) => {
  const store = await freshStore(t, 'sc-gcnewest-');
  const before = Date.now();
  for (let i = 0; i < 4; i++) await commitLib(store, i, { entryKey: `e${i}`, manifestKey: `m${i}`, blobText: `object ${i} `.repeat(200) });
  t.equal((await collectGarbage(store, { maxBytes: Infinity })).newestEvictedUse, 0, 'nothing evicted: 0');
  const r = await collectGarbage(store, { maxBytes: 0 });
  t.equal(r.entriesEvicted, 4);
  t.ok(r.newestEvictedUse >= before && r.newestEvictedUse <= Date.now(), 'entries stored just now: their store time');
});

// gc counted every blob it tried to remove: one that stayed (another user's, in a shard dir root's
// daemon once made) was reported removed while `stats` still showed it.
t.test('BlobDir.remove says whether the blob is gone', async (t) => {
  const store = await freshStore(t, 'sc-blobremove-');
  const digest = await store.blobs.write(Buffer.from('a blob to remove'));
  t.equal(await store.blobs.remove(digest), true, 'removed');
  t.equal(await store.blobs.remove(digest), true, 'already gone is gone');
  const stuck = await store.blobs.write(Buffer.from('a blob that stays'));
  rmSync(store.blobs.pathOf(stuck));
  mkdirSync(join(store.blobs.pathOf(stuck), 'x'), { recursive: true }); // unlink fails on it
  t.equal(await store.blobs.remove(stuck), false, 'one that cannot be removed is not gone');
});
