import t from 'tap';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { digestBytes, initHash } from '@splitcache/hash';
import { BlobDir, readWhole, writeFileAtomicSync, writeWhole } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'sc-whole-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
t.before(() => initHash());

t.test('a multi-MiB file written and read back whole, with and without a known size', async (t) => {
  const data = randomBytes(5 * 1024 * 1024 + 17);
  const path = join(dir, 'big');
  await writeWhole(path, data, 0o600);
  t.ok(readFileSync(path).equals(data), 'what is on disk is what was written');
  t.equal(statSync(path).mode & 0o777, 0o600, 'with the mode asked for');
  t.ok((await readWhole(path)).equals(data), 'size from fstat');
  t.ok((await readWhole(path, data.length)).equals(data), 'size given');
  await t.rejects(writeWhole(path, data, 0o600), { code: 'EEXIST' }, 'an existing file is never overwritten');
});

t.test('large writes at once, more than there are staging buffers: each file gets its own bytes', async (t) => {
  const files = Array.from({ length: 7 }, (_, i) => ({ path: join(dir, `many-${i}`), data: randomBytes(2 * 1024 * 1024 + 1000 * i) }));
  await Promise.all(files.map((f) => writeWhole(f.path, f.data, 0o644)));
  t.ok(files.every((f) => readFileSync(f.path).equals(f.data)), 'every file is byte-identical to its data');
});

t.test('an empty file, and a file shorter than its recorded size', async (t) => {
  const empty = join(dir, 'empty');
  await writeWhole(empty, new Uint8Array(0), 0o644);
  t.equal((await readWhole(empty)).length, 0);
  const short = join(dir, 'short');
  writeFileSync(short, Buffer.alloc(1000, 1));
  t.equal((await readWhole(short, 4000)).length, 1000, 'what is there, not the recorded size');
});

t.test('a large blob read by its recorded size is verified: truncated or changed is corrupt', async (t) => {
  const blobs = new BlobDir(join(dir, 'blobs'));
  await blobs.init(true);
  const data = randomBytes(3 * 1024 * 1024);
  const d = await blobs.write(data);
  t.equal(d, digestBytes(data));
  t.ok((await blobs.read(d, data.length)).equals(data), 'read back whole');
  const path = blobs.pathOf(d);
  rmSync(path);
  writeFileSync(path, data.subarray(0, data.length - 1));
  await t.rejects(blobs.read(d, data.length), { code: 'SPLITCACHE_BLOB_CORRUPT' }, 'one byte short');
  t.notOk(existsSync(path), 'and removed: a write of its digest would leave a blob there alone');
  writeFileSync(path, '');
  await t.rejects(blobs.read(d, data.length), { code: 'SPLITCACHE_BLOB_CORRUPT' }, 'emptied');
  t.equal(await blobs.write(data), d, 'written again');
  t.ok((await blobs.read(d, data.length)).equals(data), 'and whole');
  rmSync(path);
  await t.rejects(blobs.read(d, data.length), { code: 'SPLITCACHE_BLOB_MISSING' }, 'gone');
});

t.test('writeFileAtomicSync: the stat it returns is the renamed file\'s; a failed write leaves no temp file', async (t) => {
  const dir = t.testdir();
  const dest = join(dir, 'libx.rmeta');
  const data = randomBytes(70_000);
  const st = writeFileAtomicSync(join(dir, 'tmp1'), dest, data, 0o644);
  const now = statSync(dest, { bigint: true });
  t.same([st.ino, st.size, st.mtimeNs], [now.ino, now.size, now.mtimeNs], 'same inode, size and mtime as the file now at dest');
  t.equal(Number(st.size), data.length);
  t.same(readFileSync(dest), data, 'the bytes');
  t.notOk(existsSync(join(dir, 'tmp1')), 'the temp name is gone');
  // An existing temp name ('wx'): the write fails before touching dest, which keeps its bytes.
  writeFileSync(join(dir, 'tmp2'), 'someone else');
  t.throws(() => writeFileAtomicSync(join(dir, 'tmp2'), dest, Buffer.from('new'), 0o644), { code: 'EEXIST' });
  t.same(readFileSync(dest), data, 'dest untouched');
  // A rename that fails (dest is a directory) removes the temp file it wrote.
  const asDir = join(dir, 'adir');
  mkdirSync(join(asDir, 'inner'), { recursive: true });
  t.throws(() => writeFileAtomicSync(join(dir, 'tmp3'), asDir, Buffer.from('x'), 0o644));
  t.notOk(existsSync(join(dir, 'tmp3')), 'no temp file left behind');
});

t.test("a large blob that can't be read for good is a missing blob to copyOut too, as to read; a dest's fault stays the dest's", async (t) => {
  const blobs = new BlobDir(mkdtempSync(join(dir, 'blobs-')));
  const data = randomBytes(2 * 1024 * 1024 + 5);
  const digest = await blobs.write(data);
  // A directory where the blob's file was (EISDIR on read, as EIO on a bad sector): unreadable for good.
  const path = blobs.pathOf(digest);
  rmSync(path, { force: true });
  mkdirSync(path);
  await t.rejects(blobs.copyOut(digest, join(dir, 'out-a'), 0o644), { code: 'SPLITCACHE_BLOB_MISSING' }, 'BLOB_MISSING, so its entry is evicted (before: EISDIR, a replay fault that kept the entry for good)');
  t.notOk(existsSync(join(dir, 'out-a')), 'and no copy is left');
  t.notOk(existsSync(path), 'the directory is moved off the blob\'s name, so the next store writes it');
  const again = await blobs.write(data);
  mkdirSync(join(dir, 'not-a-dir-parent'));
  writeFileSync(join(dir, 'not-a-dir-parent', 'file'), '');
  await t.rejects(blobs.copyOut(again, join(dir, 'not-a-dir-parent', 'file', 'out'), 0o644), { code: 'ENOTDIR' }, "a dest that can't be written: its own error, the blob is fine");
  t.ok((await blobs.read(again)).equals(data), 'and the blob is still there');
});
