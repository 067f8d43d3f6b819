import t from 'tap';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { digestBytes, initHash, IO_CHUNK } from '@splitcache/hash';
import { BlobDir } from '../src/index.js';

// Large files are copied by the kernel and digested as they are read back, in
// both directions: writeFrom (an output into the blob dir) and copyOut (a blob
// out, verified).
const dir = mkdtempSync(join(tmpdir(), 'sc-stream-'));
t.teardown(() => {
  // The small tmpfs below, still mounted if its test didn't run (filtered out with --grep): the removal would fail on it.
  spawnSync('umount', ['-l', join(dir, 'small')]);
  rmSync(dir, { recursive: true, force: true });
});
t.before(() => initHash());

const blobs = new BlobDir(join(dir, 'blobs'));
t.before(() => blobs.init(true));

t.test('a file of several chunks is stored under the digest of its bytes, once', async (t) => {
  const data = randomBytes(2 * IO_CHUNK + 12345);
  const src = join(dir, 'out.rlib');
  writeFileSync(src, data);
  const stored = await blobs.writeFrom(src);
  t.same(stored, { digest: digestBytes(data), size: data.length }, 'the digest and size of the whole file');
  t.ok(readFileSync(blobs.pathOf(stored.digest)).equals(data), 'the blob holds the bytes');
  t.equal(statSync(blobs.pathOf(stored.digest)).mode & 0o777, 0o444, 'read-only, as every blob');
  t.same(await blobs.writeFrom(src), stored, 'the same content again: the same blob');
  t.same(readdirSync(blobs.tmpDir), [], 'no temp file is left, stored or dropped');
  await t.rejects(blobs.writeFrom(join(dir, 'absent')), { code: 'ENOENT' }, 'a missing output is the file system error, for the caller to name');
});

t.test('a blob copied out is verified: a changed byte or a short blob leaves no file', async (t) => {
  const data = randomBytes(IO_CHUNK + 7);
  const d = await writeBlob(data);
  const dest = join(dir, 'replayed');
  t.equal(await blobs.copyOut(d, dest, 0o644), data.length);
  t.ok(readFileSync(dest).equals(data), 'the copy is the blob');
  t.equal(statSync(dest).mode & 0o777, 0o644, 'with the mode asked for, not the read-only blob\'s');
  await t.rejects(blobs.copyOut(d, join(dir, 'no-such-dir', 'x'), 0o644), { code: 'ENOENT' }, 'a destination with no directory is not a missing blob');
  await t.rejects(blobs.copyOut(d, dest, 0o644), { code: 'EEXIST' }, 'an existing file is never written over');
  t.ok(readFileSync(dest).equals(data), 'nor removed');

  const path = blobs.pathOf(d);
  const bad = Buffer.from(data);
  bad[IO_CHUNK + 3] = bad[IO_CHUNK + 3]! ^ 1;
  rmSync(path);
  writeFileSync(path, bad);
  await t.rejects(blobs.copyOut(d, join(dir, 'flipped'), 0o644), { code: 'SPLITCACHE_BLOB_CORRUPT' }, 'one bit flipped in the last chunk');
  t.notOk(existsSync(join(dir, 'flipped')), 'and its copy is removed');
  t.notOk(existsSync(path), 'so is the damaged blob: the next store of its digest writes it anew');
  writeFileSync(path, data.subarray(0, IO_CHUNK));
  await t.rejects(blobs.copyOut(d, join(dir, 'short'), 0o644), { code: 'SPLITCACHE_BLOB_CORRUPT' }, 'a blob cut at a chunk boundary');
  t.notOk(existsSync(join(dir, 'short')));
  t.notOk(existsSync(path), 'removed too');
  await t.rejects(blobs.copyOut(d, join(dir, 'gone'), 0o644), { code: 'SPLITCACHE_BLOB_MISSING' }, 'a missing blob');
  t.notOk(existsSync(join(dir, 'gone')));
});

t.test('more copies at once than there are buffers: each gets its own bytes', async (t) => {
  const files = Array.from({ length: 12 }, (_, i) => {
    const data = randomBytes(IO_CHUNK + 1000 * i);
    const path = join(dir, `many-${i}`);
    writeFileSync(path, data);
    return { path, data };
  });
  const stored = await Promise.all(files.map((f) => blobs.writeFrom(f.path)));
  t.same(stored.map((s) => s.digest), files.map((f) => digestBytes(f.data)), 'every digest is its own file\'s');
  mkdirSync(join(dir, 'back'));
  const sizes = await Promise.all(stored.map((s, i) => blobs.copyOut(s.digest, join(dir, 'back', String(i)), 0o644)));
  t.same(sizes, files.map((f) => f.data.length));
  t.ok(files.every((f, i) => readFileSync(join(dir, 'back', String(i))).equals(f.data)), 'and every copy back is byte-identical');
});

// The kernel's copy_file_range does not cross file systems everywhere; libuv then falls back to sendfile.
const shm = existsSync('/dev/shm') && statSync('/dev/shm').dev !== statSync(dir).dev ? mkdtempSync('/dev/shm/sc-stream-') : undefined;
t.test('a copy between two file systems, either way', { skip: !shm && 'no /dev/shm on another file system here' }, async (t) => {
  t.teardown(() => rmSync(shm!, { recursive: true, force: true }));
  const data = randomBytes(3 * IO_CHUNK + 99);
  const src = join(shm!, 'out.rlib');
  writeFileSync(src, data);
  const stored = await blobs.writeFrom(src);
  t.equal(stored.digest, digestBytes(data), 'stored from the other file system');
  const back = join(shm!, 'replayed.rlib');
  t.equal(await blobs.copyOut(stored.digest, back, 0o644), data.length);
  t.ok(readFileSync(back).equals(data), 'and copied out to it, byte-identical');
});

const mnt = join(dir, 'small');
mkdirSync(mnt);
const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mnt]).status === 0;

t.test('a full disk while copying a file in, or a blob out: an error, and no temp file left', { skip: !mounted && 'cannot mount a size-limited tmpfs here (needs root)' }, async (t) => {
  t.teardown(() => void spawnSync('umount', ['-l', mnt]));
  const small = new BlobDir(join(mnt, 'blobs'));
  await small.init(true);
  const src = join(dir, 'too-big');
  writeFileSync(src, randomBytes(3 << 20));
  await t.rejects(small.writeFrom(src), { code: 'SPLITCACHE_STORE_FULL' });
  t.same(readdirSync(small.tmpDir), [], 'the partial blob is removed');
  t.same(readdirSync(join(mnt, 'blobs')), ['tmp'], 'and nothing was put in place');
  // A blob copied out to a disk without room for it (a full target dir): the file system's error, and no partial copy.
  const d = await writeBlob(randomBytes(3 << 20));
  await t.rejects(blobs.copyOut(d, join(mnt, 'replayed.rlib'), 0o644), { code: 'ENOSPC' });
  t.notOk(existsSync(join(mnt, 'replayed.rlib')), 'the partial copy is removed');
});

async function writeBlob(data: Buffer): Promise<string> {
  const src = join(dir, `src-${Math.random()}`);
  writeFileSync(src, data);
  return (await blobs.writeFrom(src)).digest;
}

t.test('the blobs dir removed while in use: the next writes make it again, temp dir and all', async (t) => {
  const gone = new BlobDir(join(dir, 'gone'));
  await gone.init(true);
  const small = Buffer.from('a small blob');
  const large = randomBytes(2 * IO_CHUNK + 7);
  const file = join(dir, 'large-output');
  writeFileSync(file, large);
  rmSync(gone.root, { recursive: true, force: true });
  t.equal(await gone.write(small), digestBytes(small), 'a small blob is stored (written with sync calls)');
  rmSync(gone.root, { recursive: true, force: true });
  t.equal((await gone.writeFrom(file)).digest, digestBytes(large), 'a large output is stored (copied by the kernel)');
  rmSync(gone.root, { recursive: true, force: true });
  t.equal(await gone.write(large), digestBytes(large), 'a large blob from memory is stored');
  t.ok(existsSync(gone.tmpDir), 'its temp dir is there again');
  t.same(readFileSync(gone.pathOf(digestBytes(large))), large, 'and the blob reads back whole');
});
