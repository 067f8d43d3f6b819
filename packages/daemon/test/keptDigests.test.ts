import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { digestBytes, FileDigestMemo, initHash } from '@splitcache/hash';
import { loadKeptDigests, saveKeptDigests } from '../src/keptDigests.js';

await initHash();
/** A short racy window, so that the test's file is old enough to be kept at once. */
const RACY_MS = 40;

t.test('a digest kept by one daemon answers in the next while its file is unchanged', async (t) => {
  const dir = t.testdir({ 'lib.rs': 'pub fn a() {}\n' });
  const f = join(dir, 'lib.rs');
  await sleep(RACY_MS + 20);
  const first = new FileDigestMemo(RACY_MS);
  t.equal(await first.digest(f), digestBytes('pub fn a() {}\n'));
  t.equal(await saveKeptDigests(dir, first), 1, 'the source read is kept');
  // A deliberately wrong digest in the file shows whether the kept entry, not the file, answers.
  const doc = JSON.parse(readFileSync(join(dir, 'digests.json'), 'utf8'));
  doc.entries[0][3] = 'f'.repeat(32);
  writeFileSync(join(dir, 'digests.json'), JSON.stringify(doc));
  const next = new FileDigestMemo(RACY_MS);
  t.equal(await loadKeptDigests(dir, next), 1, 'the next daemon takes it');
  t.equal(await next.digest(f), 'f'.repeat(32), 'and it answers while size, mtime, inode and ctime hold');
  // The same size, the mtime put back to the nanosecond (`touch -d @<s>.<ns>`; a Date has
  // milliseconds only): only the ctime says the file was written.
  const before = statSync(f, { bigint: true });
  writeFileSync(f, 'pub fn b() {}\n');
  const ns = before.mtimeNs.toString().padStart(10, '0');
  spawnSync('touch', ['-m', '-d', `@${ns.slice(0, -9)}.${ns.slice(-9)}`, f]);
  const after = statSync(f, { bigint: true });
  t.same([after.size, after.mtimeNs, after.ino], [before.size, before.mtimeNs, before.ino], 'size, mtime and inode are as they were');
  t.equal(await next.digest(f), digestBytes('pub fn b() {}\n'), 'a rewrite that keeps the mtime is read');
});

t.test('a kept file that is not ours, or not whole, gives nothing and throws nothing', async (t) => {
  const dir = t.testdir({ 'lib.rs': 'x' });
  const memo = new FileDigestMemo(RACY_MS);
  t.equal(await loadKeptDigests(dir, memo), 0, 'none there');
  const put = (text: string) => writeFileSync(join(dir, 'digests.json'), text);
  put('{"v":1,"mnt":"');
  t.equal(await loadKeptDigests(dir, memo), 0, 'cut short');
  put(JSON.stringify({ v: 2, mnt: '', entries: [] }));
  t.equal(await loadKeptDigests(dir, memo), 0, 'another version');
  put(JSON.stringify({ v: 1, mnt: 'mnt:[1]', entries: [[join(dir, 'lib.rs'), '1:1:1', '1', 'a'.repeat(32)]] }));
  t.equal(await loadKeptDigests(dir, memo), 0, 'another mount namespace (a container sharing the store)');
  const good = [join(dir, 'lib.rs'), '1:2:3', '4', 'a'.repeat(32)];
  const bad = [[join(dir, 'a'), '1:2', '4', 'a'.repeat(32)], [join(dir, 'b'), '1:2:3', '-4', 'a'.repeat(32)], [join(dir, 'c'), '1:2:3', '4', 'not a digest'], 'x', [1, 2, 3, 4], null];
  let mnt = '';
  try {
    mnt = readlinkSync('/proc/self/ns/mnt');
  } catch {
    /* no /proc: '' as the daemon writes it */
  }
  put(JSON.stringify({ v: 1, mnt, entries: [...bad, good] }));
  t.equal(await loadKeptDigests(dir, memo), 1, 'of good and ill-formed entries, only the good one is taken');
  put(JSON.stringify({ v: 1, mnt, entries: 'no' }));
  t.equal(await loadKeptDigests(dir, new FileDigestMemo(RACY_MS)), 0, 'entries that are no list');
});
