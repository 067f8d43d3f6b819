import t from 'tap';
import type { Test } from 'tap';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { initHash, type Digest } from '@splitcache/hash';
import { CacheServer, RemoteCache } from '@splitcache/remote';
import { RemoteTier } from '../src/remoteTier.js';
import { UploadQueue } from '../src/uploadQueue.js';
import { cache, checkout, log, MANIFEST, open, produce, tmp } from './remoteFixture.js';

// A remote hit copies an entry down into the local store, fetching only the blobs the store lacks:
// one it holds at the size the entry records is kept. Where that copy is damaged (a flipped bit), a
// local hit of another entry that reads it finds it bad and removes it; if that happens while the
// copy-down goes on, or just after it wrote the entry, the entry named a blob gone, and its replay
// failed and compiled. Now the copy-down watches removals as ingest does (removedBlobs.ts): a blob
// of the entry removed meanwhile is fetched again, before the entry is written and after.

t.before(initHash);

/** A remote cache that, at its first blob fetch, has `hit` run (a local hit beside the copy-down). */
class HitDuringFetch extends RemoteCache {
  hit?: () => Promise<void>;
  override async getBlob(digest: Digest, size?: number): Promise<Buffer | undefined> {
    const hit = this.hit;
    this.hit = undefined;
    await hit?.();
    return super.getBlob(digest, size);
  }
}

/** A server holding one entry of two blobs, and a reader's store holding the first of them damaged at its size. */
async function setUp(t: Test) {
  const server = await CacheServer.start({ dir: tmp('serve'), host: '127.0.0.1', port: 0 });
  t.teardown(() => server.close());
  const a = await open(t);
  const ca = checkout();
  const { entryKey, item } = await produce(a.store, ca.table, ca.cwd);
  const up = new UploadQueue(cache(t, server.url), { ...a, log });
  await up.enqueue(entryKey, item);
  t.same(await up.flush(5000), { outcome: 'empty', left: 0 }, 'the entry is on the server');
  const first = (await a.store.getEntry(entryKey))!.outputs[0]!.digest;
  const b = await open(t);
  const bytes = readFileSync(a.store.blobs.pathOf(first));
  bytes[100]! ^= 0xff;
  await b.store.blobs.write(bytes, first); // as another entry's blob, damaged since on this disk
  chmodSync(b.store.blobs.pathOf(first), 0o644);
  const remote = new HitDuringFetch({ url: server.url, timeoutMs: 1000, retries: 0, breakerThreshold: 1, breakerCooldownMs: 60_000, compression: 'gzip' });
  t.teardown(() => remote.close());
  const cb = checkout();
  const query = { manifestKey: MANIFEST, crateName: 'answer', components: [] as [string, string][], cwd: cb.cwd, table: cb.table, form: '', env: { ANSWER_MODE: 'fast' } };
  /** A local hit of another entry naming the damaged blob: its read finds it bad, and removes it. */
  const hit = async () => void t.equal(await b.store.blobs.read(first).then(() => 'read', (e: { code?: string }) => e.code), 'SPLITCACHE_BLOB_CORRUPT', 'the local hit found the copy bad, and removed it');
  return { entryKey, b, remote, query, hit };
}

async function whole(t: Test, store: import('@splitcache/store').Store, entryKey: string): Promise<void> {
  const entry = await store.getEntry(entryKey);
  t.ok(entry, 'the entry was copied down');
  for (const o of entry?.outputs ?? []) {
    t.ok(await store.blobs.read(o.digest).then(() => true, () => false), `its ${o.name} blob is there and good (before: the damaged one's was gone)`);
  }
}

t.test('a local hit removes a damaged copy of a blob while the copy-down fetches the others: the entry copied down is whole', async (t) => {
  const { entryKey, b, remote, query, hit } = await setUp(t);
  remote.hit = hit;
  const got = await new RemoteTier(remote, { ...b, log }, false).fetch(query);
  t.equal(got.result?.entryKey, entryKey, 'a remote hit');
  await whole(t, b.store, entryKey);
});

t.test('a local hit removes a damaged copy of a blob just after the copy-down wrote its entry: the entry is whole', async (t) => {
  const { entryKey, b, remote, query, hit } = await setUp(t);
  // The entry's index write done, before the copy-down's next step.
  const commit = b.store.commitEntry.bind(b.store);
  b.store.commitEntry = async (c) => {
    await commit(c);
    await hit();
  };
  const got = await new RemoteTier(remote, { ...b, log }, false).fetch(query);
  t.equal(got.result?.entryKey, entryKey, 'a remote hit');
  await whole(t, b.store, entryKey);
  t.equal((b.store.blobs as unknown as { watches: Set<unknown> }).watches.size, 0, 'no watch outlives the copy-down');
});
