import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { digestBytes } from '@splitcache/hash';
import { isSplitcacheError } from '@splitcache/errors';
import { verifyStore, type EntryRecord } from '../src/index.js';
import { freshStore } from './freshStore.js';

// What another program can leave under a blob's name that is no file: a FIFO (whose plain open
// waits for a writer: the daemon hung on a hit of it, and `audit verify` for ever), a symlink to a
// device (/dev/zero: a read without end) or to a directory, or a directory itself. Each read is a missing blob, at once,
// and the thing is removed, so the next store of the blob writes it.

const SMALL = Buffer.from('a dep-info file\n'.repeat(20));
const LARGE = Buffer.alloc(3 << 20, 'an object file ');

const FAKES: [string, (path: string) => void][] = [
  ['a FIFO', (path) => execFileSync('mkfifo', [path])],
  ['a symlink to /dev/zero', (path) => symlinkSync('/dev/zero', path)],
  ['a symlink to a directory', (path) => symlinkSync('/etc', path)],
  // unlink can't take a directory (EISDIR): it stayed, and every store of the blob found its name taken.
  ['a directory holding a file', (path) => (mkdirSync(path), writeFileSync(join(path, 'f'), 'another program\'s'))],
];

for (const [what, make] of FAKES) {
  t.test(`${what} under a blob's name: read, copyOut and verify say it is missing, and it is replaced`, async (t) => {
    const store = await freshStore(t, 'sc-notafile-');
    for (const data of [SMALL, LARGE]) {
      const digest = digestBytes(data);
      const path = store.blobs.pathOf(digest);
      const tries: [string, () => Promise<unknown>][] = [
        ['read with its size', () => store.blobs.read(digest, data.length)],
        ['read', () => store.blobs.read(digest)],
        ['copyOut', () => store.blobs.copyOut(digest, join(store.dir, `out-${data.length}`), 0o644)],
      ];
      for (const [how, attempt] of tries) {
        await store.blobs.write(data);
        unlinkSync(path);
        make(path);
        const err = await attempt().then(() => undefined, (e: unknown) => e);
        t.ok(isSplitcacheError(err, 'SPLITCACHE_BLOB_MISSING'), `${data.length} bytes, ${how}: a missing blob (${String(err)})`);
        t.notOk(existsSync(join(store.dir, `out-${data.length}`)), `${how}: no copy left`);
        t.throws(() => lstatSync(path), `${how}: ${what} is removed`);
        t.equal(await store.blobs.write(data), digest, `${how}: the next store of it writes it`);
        t.ok((await store.blobs.read(digest)).equals(data), `${how}: and it reads back whole`);
      }
    }
    const data = Buffer.from('an rlib');
    const digest = await store.blobs.write(data);
    const entry: EntryRecord = {
      v: 1, mode: 'whole', crateName: 'c', crateType: 'lib', outputs: [{ name: 'libc.rlib', digest, size: data.length, form: 'raw', role: 'output' }],
      stdout: new Uint8Array(), stderr: new Uint8Array(), exitCode: 0, producer: 'test', createdAt: 1, rustcVersion: 'rustc 1.95.0',
      compileMs: 100, command: [], inputs: [],
    };
    await store.commitEntry({ manifestKey: 'm', manifest: { v: 1, crateName: 'c', components: [] }, result: { entryKey: 'e', inputs: [], envDeps: [] }, entry });
    unlinkSync(store.blobs.pathOf(digest));
    make(store.blobs.pathOf(digest));
    const v = await verifyStore(store);
    t.same([v.missingBlobs, v.entriesEvicted], [[digest], 1], 'verify ends, and evicts the entry that needs it');
  });
}
