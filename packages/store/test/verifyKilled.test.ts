import t from 'tap';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initHash } from '@splitcache/hash';
import { Store, verifyStore, type EntryRecord } from '../src/index.js';

// `audit verify` stopped partway (killed, or a blob it can't read this moment) leaves no entry
// naming a blob that is gone: it removed each bad blob as it found it and evicted the entries
// that need them only at the end of its walk, so a run stopped in between left those entries
// naming removed blobs, and each one's next lookup failed its replay (a fault line and a compile).

t.test('a verify stopped after it found a bad blob leaves every entry with all its blobs; the next run evicts and removes', async (t) => {
  await initHash();
  const dir = mkdtempSync(join(tmpdir(), 'sc-verifykilled-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = await Store.open(dir);
  t.teardown(() => store.close().catch(() => undefined));
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
