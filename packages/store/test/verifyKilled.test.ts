import t from 'tap';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { verifyStore, type EntryRecord } from '../src/index.js';
import { freshStore } from './freshStore.js';

// `audit verify` stopped partway (killed, or a blob it can't read this moment) leaves no entry
// naming a blob that is gone: it removed each bad blob as it found it and evicted the entries
// that need them only at the end of its walk, so a run stopped in between left those entries
// naming removed blobs, and each one's next lookup failed its replay (a fault line and a compile).

t.test('a verify stopped after it found a bad blob leaves every entry with all its blobs; the next run evicts and removes', async (t) => {
  const store = await freshStore(t, 'sc-verifykilled-');
  const dir = store.dir;
  const digests: string[] = [];
  for (let i = 1; i <= 3; i++) {
    const data = Buffer.from(`entry ${i}'s rlib `.repeat(30));
    const digest = await store.blobs.write(data);
    digests.push(digest);
    const entry: EntryRecord = {
      v: 1, mode: 'whole', crateName: `c${i}`, crateType: 'lib', outputs: [{ name: `libc${i}.rlib`, digest, size: data.length, form: 'raw', role: 'output' }],
      stdout: new Uint8Array(), stderr: new Uint8Array(), exitCode: 0, producer: 'test', createdAt: 1, rustcVersion: 'rustc 1.95.0',
      compileMs: 100, command: [], inputs: [],
    };
    await store.commitEntry({ manifestKey: `m${i}`, manifest: { v: 1, crateName: `c${i}`, components: [] }, result: { entryKey: `e${i}`, inputs: [], envDeps: [] }, entry });
  }
  // Every output blob damaged, so whichever the walk reads first is bad.
  for (const d of digests) {
    const path = store.blobs.pathOf(d);
    chmodSync(path, 0o644);
    writeFileSync(path, 'not the bytes it was\n');
  }
  let calls = 0;
  await t.rejects(
    verifyStore(store, () => {
      if (++calls === 2) throw new Error('stopped');
    }),
    /stopped/,
    'a run stopped at its second blob, after its first was found bad',
  );
  const named: string[] = [];
  for await (const [, e] of store.entries()) for (const o of e.outputs) named.push(o.digest);
  t.equal(named.length, 3, 'no entry was evicted');
  t.same(named.filter((d) => !existsSync(store.blobs.pathOf(d))), [], 'and none names a blob that is gone (before: the first bad one was removed)');

  const v = await verifyStore(store);
  t.same([...v.badBlobs].sort(), [...digests].sort(), 'a whole run finds each bad');
  t.equal(v.entriesEvicted, 3, 'evicts their entries');
  t.same(digests.filter((d) => existsSync(store.blobs.pathOf(d))), [], 'and removes the blobs, once their entries are gone');
});

// Killed after its evictions and before its removals, a verify leaves its bad blobs on disk with no
// entry naming them. The next miss that stores one found its name taken and left the bad copy, and
// the entry it committed failed its first hit. A copy of another size (cut short, empty) is replaced
// by that store now (BlobDir.write); one of the right size with damaged bytes is still left for a
// read (or the next gc, which removes blobs no entry names) to remove.
t.test('a verify killed between its evictions and its removals: the next store of a blob it found cut short writes it whole', async (t) => {
  const lines: string[] = [];
  const store = await freshStore(t, 'sc-verifykilled-', (l) => lines.push(l));
  const data = Buffer.from("an rlib's bytes ".repeat(200));
  const digest = await store.blobs.write(data);
  const entry: EntryRecord = {
    v: 1, mode: 'whole', crateName: 'cut', crateType: 'lib', outputs: [{ name: 'libcut.rlib', digest, size: data.length, form: 'raw', role: 'output' }],
    stdout: new Uint8Array(), stderr: new Uint8Array(), exitCode: 0, producer: 'test', createdAt: 1, rustcVersion: 'rustc 1.95.0',
    compileMs: 100, command: [], inputs: [],
  };
  await store.commitEntry({ manifestKey: 'm', manifest: { v: 1, crateName: 'cut', components: [] }, result: { entryKey: 'e', inputs: [], envDeps: [] }, entry });
  chmodSync(store.blobs.pathOf(digest), 0o644);
  writeFileSync(store.blobs.pathOf(digest), data.subarray(0, 1000));
  // The kill, where the evictions are done and the first removal begins.
  const discard = store.blobs.discard;
  store.blobs.discard = () => Promise.reject(new Error('killed'));
  await t.rejects(verifyStore(store), /killed/, 'the run ends between its evictions and its removals');
  store.blobs.discard = discard;
  t.equal(await store.getEntry('e'), undefined, 'its entry was evicted');
  t.ok(existsSync(store.blobs.pathOf(digest)), 'and the bad copy is left, named by no entry');

  await store.blobs.write(data); // the next miss's store of the blob
  t.ok((await store.blobs.read(digest)).equals(data), 'the blob reads whole (before: the copy cut short stayed, and the new entry\'s first hit compiled again)');
  t.match(lines, [/^SPLITCACHE_BLOB_CORRUPT: blob [0-9a-f]{32} under its name was 1000 bytes, not 3200: replaced/], 'one line says so');
});
