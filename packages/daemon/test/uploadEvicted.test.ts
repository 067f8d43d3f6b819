import t from 'tap';
import type { Test } from 'tap';
import { rmSync } from 'node:fs';
import { initHash } from '@splitcache/hash';
import { CacheServer } from '@splitcache/remote';
import { UploadQueue } from '../src/uploadQueue.js';
import { cache, checkout, log, open, produce, tmp } from './remoteFixture.js';

// An upload whose entry gc or `clear` evicted meanwhile is dropped quietly (docs/REMOTE.md): that is the
// user's doing. A blob lost while its entry is still in the store is not: a damaged store, told on the next
// call's stderr and counted among the errors. And the check of which it is costs the upload that goes up no
// index read: it is made only once a blob was found missing.
t.before(initHash);

async function setUp(t: Test) {
  const server = await CacheServer.start({ dir: tmp('serve'), host: '127.0.0.1', port: 0 });
  t.teardown(() => server.close());
  const a = await open(t);
  const said: string[] = [];
  const queue = new UploadQueue(cache(t, server.url), { ...a, log, showLater: (code, line) => said.push(`${code} | ${line}`) });
  t.teardown(() => queue.stop());
  const ca = checkout();
  const { entryKey, item } = await produce(a.store, ca.table, ca.cwd);
  let entryReads = 0;
  const getEntry = a.store.getEntry.bind(a.store);
  a.store.getEntry = ((key: Parameters<typeof getEntry>[0]) => (entryReads++, getEntry(key))) as typeof a.store.getEntry;
  return { server, a, said, queue, entryKey, item, entryReads: () => entryReads };
}

t.test('an upload that goes up reads its entry once', async (t) => {
  const { server, a, said, queue, entryKey, item, entryReads } = await setUp(t);
  await queue.enqueue(entryKey, item);
  t.same(await queue.flush(5000), { outcome: 'empty', left: 0 }, 'it goes up');
  t.equal(entryReads(), 1, "the entry is read once, publish's read: no check of eviction on this path");
  t.same([said, a.stats.stats.errors, server.status().entries], [[], {}, 4], 'nothing told, no error, all on the server');
});

t.test('a blob missing while its entry is still stored: the drop is told and counted as the fault it is', async (t) => {
  const { a, said, queue, entryKey, item } = await setUp(t);
  const entry = (await a.store.getEntry(entryKey))!;
  rmSync(a.store.blobs.pathOf(entry.outputs[0]!.digest));
  await queue.enqueue(entryKey, item);
  await queue.flush(5000);
  t.equal(said.length, 1, 'one line for the next call', { said });
  t.match(said[0], /^SPLITCACHE_BLOB_MISSING \| SPLITCACHE_BLOB_MISSING: an upload to the remote was dropped: blob [0-9a-f]{32} is missing$/, 'naming the blob');
  t.same(a.stats.stats.errors, { SPLITCACHE_BLOB_MISSING: 1 }, 'counted among the errors');
  t.equal(a.stats.stats.remote.dropped, 1, 'the upload dropped');
});

t.test('an entry evicted before its upload: dropped, nothing told, no error', async (t) => {
  const { a, said, queue, entryKey, item } = await setUp(t);
  await a.store.deleteEntry(entryKey);
  await queue.enqueue(entryKey, item);
  await queue.flush(5000);
  t.same([said, a.stats.stats.errors, a.stats.stats.remote.dropped], [[], {}, 1], 'dropped quietly');
  t.same(await a.store.queued(10), [], 'and out of the queue');
});
