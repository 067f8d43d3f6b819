import t, { type Test } from 'tap';
import { pack } from 'msgpackr';
import { collectGarbage, type Store, verifyStore, type EntryRecord } from '../src/index.js';
import { freshStore } from './freshStore.js';

// Damaged index records (SPLITCACHE_MANIFEST_MALFORMED) under gc and verify: a damaged entry goes
// with all it left (its access time, the manifest results naming it) and is counted; a damaged
// manifest goes under verify and an explicit gc, and is left to its next lookup by the gc a
// daemon runs by itself under the lock its lookups wait for (reading every manifest made it
// several times as long).

async function filled(t: Test): Promise<Store> {
  const store = await freshStore(t, 'sc-damaged-');
  for (const i of [1, 2, 3]) {
    const data = Buffer.from(`object ${i}`);
    const digest = await store.blobs.write(data);
    const entry: EntryRecord = {
      v: 1, mode: 'whole', crateName: `c${i}`, crateType: 'lib', outputs: [{ name: `libc${i}.rlib`, digest, size: data.length, form: 'raw', role: 'output' }],
      stdout: new Uint8Array(), stderr: new Uint8Array(), exitCode: 0, producer: 'test', createdAt: 1, rustcVersion: 'rustc 1.95.0', compileMs: 1, command: [], inputs: [],
    };
    await store.commitEntry({ manifestKey: `m${i}`, manifest: { v: 1, crateName: `c${i}`, components: [] }, result: { entryKey: `e${i}`, inputs: [], envDeps: [] }, entry });
  }
  await store.db.put('e!e1', pack({ v: 1 }));
  await store.db.put('m!m2', pack({ v: 1, results: 'none' }));
  return store;
}

const keys = async (store: Store, range: string) => {
  const found: string[] = [];
  for await (const k of store.db.keys({ gt: `${range}!`, lt: `${range}!~` })) found.push(k);
  return found;
};

t.test("a gc of the daemon's own drops damaged entries, and leaves manifests to their lookups", async (t) => {
  const store = await filled(t);
  const r = await collectGarbage(store, { maxBytes: 1e12 });
  t.equal(r.damagedRecords, 1, 'the entry, counted');
  t.same(await keys(store, 'e'), ['e!e2', 'e!e3'], 'its record gone');
  t.notOk((await keys(store, 't')).includes('t!e1'), 'and its access time');
  t.same((await store.getManifest('m1'))?.results ?? [], [], 'no manifest result names it');
  t.ok((await keys(store, 'm')).includes('m!m2'), 'the damaged manifest left for its lookup');
  t.equal((await collectGarbage(store, { maxBytes: 1e12, checkManifests: true })).damagedRecords, 1, 'an explicit gc drops it');
  t.notOk((await keys(store, 'm')).includes('m!m2'), 'gone');
  t.equal((await collectGarbage(store, { maxBytes: 1e12, checkManifests: true })).damagedRecords, 0, 'the next finds none');
});

t.test('verify drops both', async (t) => {
  const store = await filled(t);
  t.equal((await verifyStore(store)).damagedRecords, 2, 'the entry and the manifest');
  t.equal((await verifyStore(store)).damagedRecords, 0, 'the next finds none');
});
