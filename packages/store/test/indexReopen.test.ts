import t from 'tap';
import { initHash } from '@splitcache/hash';
import { Store, type EntryCommit, type EntryRecord } from '../src/index.js';
import { freshDir, freshStore } from './freshStore.js';

// Index records a mutation audit found unguarded. An index that opens fine is not rebuilt from
// the record blobs: with its `index-created` mark never written, every open rebuilt it, which
// brought back an entry evicted for a failed link (its record blob stays until gc) and reset
// every entry's last use (gc's LRU order) to the open's time. And an entry stored again under
// its key is one result of its manifest, not two (16 results at most: copies crowd out others).

await initHash();

async function commitOf(store: Store, i: number): Promise<EntryCommit> {
  const data = Buffer.from(`object file ${i}`);
  const digest = await store.blobs.write(data);
  const entry: EntryRecord = {
    v: 1, mode: 'whole', crateName: `c${i}`, crateType: 'lib', outputs: [{ name: `libc${i}.rlib`, digest, size: data.length, form: 'raw', role: 'output' }],
    stdout: new Uint8Array(), stderr: new Uint8Array(), exitCode: 0, producer: 'test', createdAt: 1, rustcVersion: 'rustc 1.95.0',
    compileMs: 100, command: [], inputs: [],
  };
  return { manifestKey: 'f'.repeat(32), manifest: { v: 1, crateName: `c${i}`, components: [] }, result: { entryKey: `${i}`.padStart(32, '0'), inputs: [], envDeps: [] }, entry };
}

t.test('an index that opens is not rebuilt: a deleted entry stays deleted, last uses stay', async (t) => {
  const dir = freshDir(t, 'sc-reopen-');
  const first = await Store.open(dir);
  const [a, b] = [await commitOf(first, 1), await commitOf(first, 2)];
  await first.commitEntry(a);
  await first.commitEntry(b);
  await first.deleteEntry(b.result.entryKey); // as a hit whose link failed is dropped
  const uses = new Map<string, number>();
  for await (const [k, , used] of first.entries()) uses.set(k, used);
  await first.close();
  await new Promise((r) => setTimeout(r, 20));

  const heard: string[] = [];
  const again = await Store.open(dir, (what) => heard.push(what));
  t.teardown(() => again.close().catch(() => undefined));
  t.same(heard, [], 'nothing to recover, nothing rebuilt');
  t.equal(await again.getEntry(b.result.entryKey), undefined, 'the deleted entry is not back');
  const now = new Map<string, number>();
  for await (const [k, , used] of again.entries()) now.set(k, used);
  t.same(now, uses, 'the kept entry keeps its last use');
});

t.test('an entry stored again under its manifest key is one result of it', async (t) => {
  const store = await freshStore(t, 'sc-reopen-');
  const a = await commitOf(store, 1);
  await store.commitEntry(a);
  await store.commitEntry(await commitOf(store, 2));
  await store.commitEntry(a);
  const m = await store.getManifest(a.manifestKey);
  t.same(m?.results.map((r) => r.entryKey), [a.result.entryKey, `2`.padStart(32, '0')], 'newest first, each once');
});
