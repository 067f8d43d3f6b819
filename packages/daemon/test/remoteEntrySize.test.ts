import t from 'tap';
import { initHash } from '@splitcache/hash';
import { CacheServer } from '@splitcache/remote';
import { readConfig } from '../src/config.js';
import { openRemote } from '../src/openRemote.js';
import { UploadQueue } from '../src/uploadQueue.js';
import { cache, checkout, log, MANIFEST, open, produce, tmp } from './remoteFixture.js';

// openRemote gives the remote client the largest blob the store takes as one result
// (SPLITCACHE_MAX_ENTRY_SIZE): a larger one is refused before it is asked for. No test held the
// wiring (a mutation audit's: with maxBlobBytes left out, a reader whose store takes results of
// 5,000 bytes fetched and stored a blob of 9,900, and every test passed).
t.before(initHash);

t.test('a remote blob larger than SPLITCACHE_MAX_ENTRY_SIZE is not fetched', async (t) => {
  const server = await CacheServer.start({ dir: tmp('serve'), host: '127.0.0.1', port: 0 });
  t.teardown(() => server.close());
  const a = await open(t);
  const ca = checkout();
  const { entryKey, item } = await produce(a.store, ca.table, ca.cwd, { single: true }); // one blob of 9,900 bytes
  const up = new UploadQueue(cache(t, server.url), { ...a, log });
  await up.enqueue(entryKey, item);
  t.same(await up.flush(10_000), { outcome: 'empty', left: 0 }, 'published');

  const query = () => {
    const cb = checkout();
    return { manifestKey: MANIFEST, crateName: 'answer', components: [] as [string, string][], cwd: cb.cwd, table: cb.table, form: '', env: { ANSWER_MODE: 'fast' } };
  };
  for (const [size, want] of [['5000', 'remote-error:SPLITCACHE_REMOTE_TOO_LARGE'], ['20000', undefined]] as const) {
    const b = await open(t);
    const config = readConfig({ SPLITCACHE_DIR: b.dir, SPLITCACHE_REMOTE: server.url, SPLITCACHE_REMOTE_MODE: 'read-only', SPLITCACHE_MAX_ENTRY_SIZE: size });
    t.equal(config.maxEntryBytes, Number(size));
    const services = await openRemote(config, { ...b, log });
    t.teardown(() => services.close());
    const found = await services.remote!.fetch(query());
    t.equal(found.reason, want, `SPLITCACHE_MAX_ENTRY_SIZE=${size}: ${want ?? 'a hit'}`);
    t.equal(Boolean(found.result), want === undefined);
  }
});
