import t from 'tap';
import { chmodSync, writeFileSync } from 'node:fs';
import { verifyStore, type EntryRecord } from '../src/index.js';
import { freshStore } from './freshStore.js';

// `audit verify` over a blob many entries share (an object file two keys both made): a damaged
// one evicts every entry that needs it, and only those.

t.test('a damaged blob shared by several entries evicts each of them, and no other', async (t) => {
  const store = await freshStore(t, 'sc-verifyshared-');
  const dir = store.dir;
  const shared = Buffer.from('an object file two keys made alike '.repeat(40));
  const sharedDigest = await store.blobs.write(shared);
  for (let i = 1; i <= 5; i++) {
    const own = Buffer.from(`entry ${i}'s own metadata `.repeat(20));
    const ownDigest = await store.blobs.write(own);
    const outputs = [{ name: `libc${i}.rmeta`, digest: ownDigest, size: own.length, form: 'raw' as const, role: 'output' as const }];
    if (i <= 3) outputs.push({ name: `c${i}.o`, digest: sharedDigest, size: shared.length, form: 'raw', role: 'output' });
    const entry: EntryRecord = {
      v: 1, mode: 'whole', crateName: `c${i}`, crateType: 'lib', outputs,
      stdout: new Uint8Array(), stderr: new Uint8Array(), exitCode: 0, producer: 'test', createdAt: 1, rustcVersion: 'rustc 1.95.0',
      compileMs: 100, command: [], inputs: [],
    };
    await store.commitEntry({ manifestKey: `m${i}`, manifest: { v: 1, crateName: `c${i}`, components: [] }, result: { entryKey: `e${i}`, inputs: [], envDeps: [] }, entry });
  }
  const path = store.blobs.pathOf(sharedDigest);
  chmodSync(path, 0o644);
  writeFileSync(path, Buffer.alloc(shared.length, 0x58));
  const v = await verifyStore(store);
  t.same(v.badBlobs, [sharedDigest], 'the shared blob is the one bad');
  t.equal(v.entriesEvicted, 3, 'the three entries that need it');
  t.same(v.evictedCrates, ['c1', 'c2', 'c3']);
  const left: string[] = [];
  for await (const [, e] of store.entries()) left.push(e.crateName);
  t.same(left.sort(), ['c4', 'c5'], 'the others stay');
});
