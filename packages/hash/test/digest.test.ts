import t from 'tap';
import xxhash from 'xxhash-wasm';
import { rmSync, statSync, writeFileSync, utimesSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { initHash, digestBytes, digestFile, digestFileSync, DigestStream, IO_CHUNK, isDigest, FileDigestMemo, KeyBuilder, diffKeys } from '../src/index.js';

await initHash();

/** A short racy window, so a test need not wait 2 s for a file to be old enough. */
const RACY_MS = 40;

t.test('digests are 128-bit hex, stable and content-sensitive', async (t) => {
  const a = digestBytes('hello');
  t.ok(isDigest(a));
  t.equal(a, digestBytes(Buffer.from('hello')));
  t.not(a, digestBytes('hellp'));
  t.equal(new DigestStream().update('hel').update('lo').digest(), a);
});

t.test('a long text has the digest the hasher gives it whole: its UTF-8 bytes, in chunks', async (t) => {
  const api = await xxhash();
  /** The digest as the hasher takes a string whole (what digestBytes did for every text). */
  const whole = (s: string) => [api.create64(0n), api.create64(0x9e3779b97f4a7c15n)].map((h) => h.update(s).digest().toString(16).padStart(16, '0')).join('');
  const texts = ['short', 'ä€😀'.repeat(30_000), 'x'.repeat(85_000) + '\ud800' + 'é'.repeat(200_000), 'a'.repeat(87_382), 'a'.repeat(87_381)];
  for (const text of texts) t.equal(digestBytes(text), whole(text), `${text.length} characters`);
});

t.test('file digest streams and matches the buffer digest', async (t) => {
  const dir = t.testdir();
  const big = Buffer.alloc(3 * (1 << 20) + 17, 7);
  writeFileSync(join(dir, 'big'), big);
  t.equal(await digestFile(join(dir, 'big')), digestBytes(big));
});

t.test('the synchronous file digest matches the buffer digest, across chunk boundaries', async (t) => {
  const dir = t.testdir();
  // Empty, one byte, a chunk exactly, a chunk and a bit, several chunks: each through the one reused buffer.
  for (const size of [0, 1, IO_CHUNK, IO_CHUNK + 1, 3 * IO_CHUNK + 17]) {
    const data = Buffer.alloc(size);
    for (let i = 0; i < size; i++) data[i] = (i * 31 + size) & 0xff;
    const f = join(dir, `f${size}`);
    writeFileSync(f, data);
    t.equal(digestFileSync(f), digestBytes(data), `${size} bytes`);
    t.equal(digestFileSync(f), await digestFile(f), `${size} bytes, as the streamed digest`);
  }
  // A short file read after a long one: nothing of the long one's bytes is left in the digest.
  writeFileSync(join(dir, 'short'), 'abc');
  t.equal(digestFileSync(join(dir, 'short')), digestBytes('abc'));
  t.throws(() => digestFileSync(join(dir, 'missing')), { code: 'ENOENT' });
});

t.test('memo serves old files from memory and re-reads changed ones', async (t) => {
  const dir = t.testdir();
  const f = join(dir, 'f');
  writeFileSync(f, 'one');
  const old = new Date(Date.now() - 60_000);
  utimesSync(f, old, old);
  const memo = new FileDigestMemo(RACY_MS);
  t.equal(await memo.digest(f), digestBytes('one'));
  t.equal(memo.size, 0, 'an old mtime on a file written just now (its ctime) is not memoised');
  await sleep(3 * RACY_MS);
  t.equal(await memo.digest(f), digestBytes('one'));
  t.equal(memo.size, 1);
  writeFileSync(f, 'two'); // same size, new mtime: racy, so not memoised
  t.equal(await memo.digest(f), digestBytes('two'));
  t.equal(memo.size, 0, 'a just-modified file is not memoised');
});

t.test('memo: a same-size rewrite that keeps the old mtime (cp -p, tar x, touch -r) is read, in place or as a new file', async (t) => {
  const dir = t.testdir();
  const f = join(dir, 'm.rs');
  const old = new Date(Date.now() - 60_000);
  writeFileSync(f, 'AAAA');
  utimesSync(f, old, old);
  await sleep(3 * RACY_MS);
  const memo = new FileDigestMemo(RACY_MS);
  t.equal(await memo.digest(f), digestBytes('AAAA'));
  t.equal(memo.size, 1, 'memoised');
  const ino = statSync(f).ino;
  writeFileSync(f, 'BBBB'); // in place: same inode, same size
  utimesSync(f, old, old); // and the old mtime back
  t.equal(statSync(f).ino, ino);
  await sleep(3 * RACY_MS);
  t.equal(await memo.digest(f), digestBytes('BBBB'), 'the rewrite in place is read');
  rmSync(f);
  writeFileSync(f, 'CCCC'); // a new file, whose inode number may be the one just freed
  utimesSync(f, old, old);
  await sleep(3 * RACY_MS);
  t.equal(await memo.digest(f), digestBytes('CCCC'), 'the new file is read');
});

t.test('remember: a digest the caller computed is used for a young file, until the file changes', async (t) => {
  const dir = t.testdir();
  const f = join(dir, 'lib.rlib');
  writeFileSync(f, 'rlib bytes');
  const fine = new Date(Date.now() - 100);
  fine.setMilliseconds(123); // sub-second mtime: a fine-grained file system
  utimesSync(f, fine, fine);
  const memo = new FileDigestMemo();
  // A deliberately wrong digest shows whether the memo, not the file, answered.
  await memo.remember(f, 'f'.repeat(32));
  t.equal(memo.size, 1, 'recorded though the file is young');
  t.equal(await memo.digest(f), 'f'.repeat(32), 'the recorded digest answers while the stamp holds');
  writeFileSync(f, 'RLIB BYTES'); // same size, new mtime
  t.equal(await memo.digest(f), digestBytes('RLIB BYTES'), 'a rewrite is seen');

  const before = statSync(f, { bigint: true });
  writeFileSync(f, 'changed again, longer');
  await memo.remember(f, 'e'.repeat(32), before);
  t.equal(await memo.digest(f), digestBytes('changed again, longer'), 'a file that changed since the caller read it is not recorded');

  const whole = new Date(Math.floor(Date.now() / 1000) * 1000 - 1000); // whole-second mtime
  utimesSync(f, whole, whole);
  const coarse = new FileDigestMemo();
  await coarse.remember(f, 'd'.repeat(32));
  t.equal(coarse.size, 0, 'nothing is recorded where mtimes have whole seconds only');
});

t.test('record: the stamp of the bytes written answers for them; a later rewrite is read', async (t) => {
  const dir = t.testdir();
  const f = join(dir, 'lib.rmeta');
  writeFileSync(f, 'rmeta bytes');
  const fine = new Date(Date.now() - 100);
  fine.setMilliseconds(456);
  utimesSync(f, fine, fine);
  const memo = new FileDigestMemo();
  memo.record(f, 'c'.repeat(32), statSync(f, { bigint: true }));
  t.equal(await memo.digest(f), 'c'.repeat(32), 'the recorded digest answers, young file or not');
  // A stamp taken before a rewrite is not the file's any more: the rewrite is hashed.
  const stale = statSync(f, { bigint: true });
  writeFileSync(f, 'other bytes');
  memo.record(f, 'b'.repeat(32), stale);
  t.equal(await memo.digest(f), digestBytes('other bytes'), 'a stale stamp never answers for new bytes');
  const whole = new Date(Math.floor(Date.now() / 1000) * 1000 - 1000);
  utimesSync(f, whole, whole);
  const coarse = new FileDigestMemo();
  coarse.record(f, 'a'.repeat(32), statSync(f, { bigint: true }));
  t.equal(coarse.size, 0, 'nothing is recorded where mtimes have whole seconds only');
});

t.test('prime: a young build output is read in the background and kept; a digest asked meanwhile shares the read', async (t) => {
  const dir = t.testdir();
  const f = join(dir, 'libmacro.so');
  writeFileSync(f, Buffer.alloc(3 << 20, 7)); // above SYNC_IO_MAX_BYTES: the streamed read
  const fine = new Date(Date.now() - 100);
  fine.setMilliseconds(321); // sub-second mtime, as a linker's output has
  utimesSync(f, fine, fine);
  const memo = new FileDigestMemo();
  const primed = memo.prime(f);
  const asked = memo.digest(f); // while the read is in flight
  await primed;
  t.equal(await asked, digestBytes(Buffer.alloc(3 << 20, 7)), 'the digest asked meanwhile is the file\'s');
  t.equal(memo.size, 1, 'kept, though the file is young (digest() alone keeps none)');
  const plain = new FileDigestMemo();
  await plain.digest(f);
  t.equal(plain.size, 0, 'without prime, the young file is not kept');
  writeFileSync(f, Buffer.alloc(3 << 20, 8)); // same size, new mtime
  t.equal(await memo.digest(f), digestBytes(Buffer.alloc(3 << 20, 8)), 'a rewrite is read');
  const kept = memo.size;
  await memo.prime(join(dir, 'gone.so'));
  t.equal(memo.size, kept, 'a file that is not there is not primed');
});

t.test('kept: only the digests the memo read itself, old files with their ctime; adopt takes them back', async (t) => {
  const dir = t.testdir();
  const src = join(dir, 'main.rs');
  const out = join(dir, 'lib.rmeta');
  writeFileSync(src, 'fn main() {}');
  writeFileSync(out, 'rmeta');
  const fine = new Date(Date.now() - 100);
  fine.setMilliseconds(789);
  utimesSync(out, fine, fine);
  await sleep(RACY_MS + 20);
  const memo = new FileDigestMemo(RACY_MS);
  await memo.digest(src);
  memo.record(out, 'c'.repeat(32), statSync(out, { bigint: true }));
  const kept = memo.kept();
  t.same(kept.map((k) => k[0]), [src], 'a build output the memo was told of is not kept');
  const next = new FileDigestMemo(RACY_MS);
  t.equal(next.adopt(kept), 1);
  t.equal(next.adopt(kept), 0, 'a path already known keeps what it knows');
  t.equal(next.adopt('nonsense'), 0);
  t.equal(await next.digest(src), digestBytes('fn main() {}'));
});

t.test('key builder records components and diffs them', async (t) => {
  const k1 = new KeyBuilder().add('arg', '--crate-type lib').add('file:src/lib.rs', 'aa');
  const k2 = new KeyBuilder().add('arg', '--crate-type lib').add('file:src/lib.rs', 'bb');
  t.not(k1.digest(), k2.digest());
  t.same(diffKeys(k1.components(), k2.components()), [{ name: 'file:src/lib.rs', before: 'aa', after: 'bb' }]);
  t.not(new KeyBuilder().add('a', 'bc').digest(), new KeyBuilder().add('ab', 'c').digest(), 'no ambiguity between components');
});
