import t from 'tap';
import { mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { collectGarbage, Store, verifyStore, type EntryRecord } from '../src/index.js';
import { freshStore } from './freshStore.js';

// What gc must leave alone, each found unguarded by a mutation audit: the record blob of a kept
// entry (gc removed it with the check gone, and `audit verify` then evicted every entry for a
// blob missing, and an index rebuild found nothing), and a directory in blobs/ that is no shard.

async function commit(store: Store, i: number): Promise<void> {
  const data = Buffer.from(`object file ${i} `.repeat(50));
  const digest = await store.blobs.write(data);
  const entry: EntryRecord = {
    v: 1, mode: 'whole', crateName: `c${i}`, crateType: 'lib', outputs: [{ name: `libc${i}.rlib`, digest, size: data.length, form: 'raw', role: 'output' }],
    stdout: new Uint8Array(), stderr: new Uint8Array(), exitCode: 0, producer: 'test', createdAt: 1, rustcVersion: 'rustc 1.95.0',
    compileMs: 100, command: [], inputs: [],
  };
  await store.commitEntry({ manifestKey: `m${i}`, manifest: { v: 1, crateName: `c${i}`, components: [] }, result: { entryKey: `e${i}`, inputs: [], envDeps: [] }, entry });
}

t.test("gc keeps a kept entry's record blob: verify finds it whole, and a lost index is rebuilt from it", async (t) => {
  const store = await freshStore(t, 'sc-gcrecord-');
  const dir = store.dir;
  await commit(store, 1);
  await commit(store, 2);
  const records: string[] = [];
  for await (const [, e] of store.entries()) records.push(e.recordDigest!);
  t.equal(records.length, 2);
  const r = await collectGarbage(store, { maxBytes: Infinity });
  t.same([r.entriesEvicted, r.blobsRemoved], [0, 0], 'room for everything: nothing evicted, no blob removed');
  for (const d of records) t.ok(await store.blobs.has(d), `record blob ${d} is still there`);
  const v = await verifyStore(store);
  t.same([v.entriesEvicted, v.missingBlobs], [0, []], 'verify after gc evicts nothing');

  await store.close();
  rmSync(join(dir, 'index'), { recursive: true, force: true });
  const reopened = await Store.open(dir);
  t.teardown(() => reopened.close().catch(() => undefined));
  let n = 0;
  for await (const _ of reopened.entries()) n++;
  t.equal(n, 2, 'the index, lost, is rebuilt with both entries');
});

t.test('a directory in blobs/ that is no shard is left alone by gc', async (t) => {
  const store = await freshStore(t, 'sc-gcforeign-');
  await commit(store, 1);
  const foreign = join(store.blobs.root, 'lost+found');
  mkdirSync(foreign);
  writeFileSync(join(foreign, '#1234'), 'a file fsck saved');
  const r = await collectGarbage(store, { maxBytes: 0 });
  t.equal(r.entriesEvicted, 1, 'gc ran through');
  t.ok(existsSync(join(foreign, '#1234')), 'the file in it stays');
  t.equal((await store.blobs.usage()).blobs, 0, 'and is not counted as a blob');
});

t.test("a file in a shard dir not named as a blob (an rsync's temp, NFS's .nfs…) is left alone by gc and verify", async (t) => {
  const store = await freshStore(t, 'sc-gcstray-');
  await commit(store, 1);
  await commit(store, 2);
  const shard = join(store.blobs.root, (await firstShard(store))!);
  const strays = [join(shard, '.nfs0000000000123'), join(shard, '.rsync-tmp.XYZ')];
  for (const f of strays) writeFileSync(f, 'not a blob');
  t.equal((await store.blobs.usage()).blobs, 4, 'the strays are not counted as blobs (2 objects, 2 records)');
  const r = await collectGarbage(store, { maxBytes: 0 });
  t.same([r.entriesEvicted, r.blobsRemoved], [2, 4], "gc runs through: before, the stray's removal threw 'not a digest' and the pass stopped");
  t.equal((await store.blobs.usage()).blobs, 0, 'no blob left behind');
  for (const f of strays) t.ok(existsSync(f), 'and the strays stay');
  const v = await verifyStore(store);
  t.same([v.entriesEvicted, v.missingBlobs], [0, []], 'verify finds nothing wrong');
});

async function firstShard(store: Store): Promise<string | undefined> {
  for await (const b of store.blobs.list()) return b.digest.slice(0, 2);
  return undefined;
}

t.test("gc drops a last-use record whose entry is gone (a hit's write racing the entry's eviction)", async (t) => {
  const store = await freshStore(t, 'sc-gcorphan-');
  await commit(store, 1);
  await commit(store, 2);
  // The daemon records hits outside its maintenance lock (lastHits.ts): one written just after
  // gc evicted its entry outlives it, and nothing else would ever delete it.
  await store.touchAll(['e2', 'gone']);
  const times = async (): Promise<string[]> => {
    const keys: string[] = [];
    for await (const k of store.db.keys({ gt: 't!', lt: 't!~' })) keys.push(k);
    return keys;
  };
  t.same(await times(), ['t!e1', 't!e2', 't!gone']);
  const r = await collectGarbage(store, { maxBytes: Infinity });
  t.equal(r.entriesEvicted, 0);
  t.same(await times(), ['t!e1', 't!e2'], "the orphan is gone, the kept entries' times stay");
  let n = 0;
  for await (const [, , last] of store.entries()) if (last > 1) n++;
  t.equal(n, 2, 'both entries keep their last use');
});
