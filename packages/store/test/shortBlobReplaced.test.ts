import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { digestBytes, initHash } from '@splitcache/hash';
import { Store } from '../src/index.js';

// A miss stores a blob whose name a copy of another size already holds (cut short by a restore or a
// power loss, left by a verify killed between its evictions and its removals): a write left any file
// under its name alone, so the new entry named the bad copy, and its first hit found it bad and
// compiled again. Now a file of another size under the name is replaced, atomically, with one
// SPLITCACHE_BLOB_CORRUPT line; one of the right size is left as it is (no read of it: the cost of
// a miss's store stays one stat).

t.before(initHash);

async function tempStore(lines: string[]): Promise<Store> {
  const dir = mkdtempSync(join(tmpdir(), 'sc-shortblob-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = await Store.open(dir, (l) => lines.push(l));
  t.teardown(() => store.close().catch(() => undefined));
  return store;
}

/** Puts `bytes` under `digest`'s name, as another program would. */
function placeCopy(store: Store, digest: string, bytes: Buffer): void {
  const path = store.blobs.pathOf(digest);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
}

const WRITERS: [string, number, (store: Store, data: Buffer, dir: string) => Promise<unknown>][] = [
  ['write, a small blob (synchronous)', 3000, (store, data) => store.blobs.write(data)],
  ['write, a large blob', 3 << 20, (store, data) => store.blobs.write(data)],
  ['writeFrom, a large file', 3 << 20, async (store, data, dir) => {
    const file = join(dir, 'output.rlib');
    writeFileSync(file, data);
    return store.blobs.writeFrom(file);
  }],
];

for (const [how, size, store_] of WRITERS) {
  for (const [what, cut] of [['cut short', (d: Buffer) => d.subarray(0, d.length - 100)], ['empty', () => Buffer.alloc(0)]] as const) {
    t.test(`${how}: a copy ${what} under the blob's name is replaced, with one line`, async (t) => {
      const lines: string[] = [];
      const store = await tempStore(lines);
      const data = randomBytes(size);
      const digest = digestBytes(data);
      placeCopy(store, digest, cut(data));
      await store_(store, data, store.dir);
      t.ok((await store.blobs.read(digest)).equals(data), 'the blob reads whole and good');
      t.equal(statSync(store.blobs.pathOf(digest)).mode & 0o777, 0o444, 'read-only, as every blob');
      t.match(lines, [new RegExp(`^SPLITCACHE_BLOB_CORRUPT: blob ${digest} under its name was ${cut(data).length} bytes, not ${size}: replaced`)], 'one line says it');
      t.equal(lines.length, 1);
    });
  }

  t.test(`${how}: a copy of the right size under the blob's name is left as it is, with no line`, async (t) => {
    const lines: string[] = [];
    const store = await tempStore(lines);
    const data = randomBytes(size);
    const digest = digestBytes(data);
    placeCopy(store, digest, data);
    const before = statSync(store.blobs.pathOf(digest));
    await store_(store, data, store.dir);
    t.equal(statSync(store.blobs.pathOf(digest)).ino, before.ino, 'the same file');
    t.same(lines, []);
  });
}
