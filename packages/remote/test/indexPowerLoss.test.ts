import t, { type Test } from 'tap';
import { copyFileSync, cpSync, mkdirSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { digestBytes, initHash } from '@splitcache/hash';
import { Level } from 'level';
import { CacheServer, sealAc } from '../src/index.js';
import { canLoopMount, mountFreshExt4, mountImage, sh, tmp } from './serverHelpers.js';

// The server's index (LevelDB: records, and an entry per blob) is written without a sync, so a
// power loss takes back its last writes; its blob files are synced before their 201
// (blobDurable.test.ts). The worst a power loss may leave is a miss: a record is served with the
// bytes it was given or not at all (LevelDB checks each log record's CRC), a blob answered 201 is
// served whole, and /status counts what is served.

const canLoop = canLoopMount();

t.before(initHash);

const keyOf = (i: number) => `${i}`.padStart(32, '0');
const recordOf = (i: number) => sealAc({ v: 1, kind: 'inputs', key: keyOf(i), crateName: `c${i}`, inputs: [`src/${i}.rs`, 'x'.repeat(2000 + i)], envDeps: [] }, undefined);
const put = (url: string, body: Uint8Array) => fetch(url, { method: "PUT", body: new Uint8Array(body) }).then((r) => r.status);

/** What `s` serves of `records` (1-based) and `blobs`: each record's body or undefined (a 404), and the blobs' bodies; anything else fails `t`. */
async function served(t: Test, s: CacheServer, records: Buffer[], blobs: Buffer[]) {
  const kept: number[] = [];
  let bytes = 0;
  for (const [n, record] of records.entries()) {
    const r = await fetch(`${s.url}/ac/${keyOf(n + 1)}`);
    const body = Buffer.from(await r.arrayBuffer());
    if (r.status === 404) continue;
    t.equal(r.status, 200, `record ${n + 1}: served or a 404`);
    t.ok(body.equals(record), `record ${n + 1}: served with the bytes it was given`);
    kept.push(n + 1);
    bytes += record.length;
  }
  for (const blob of blobs) {
    const r = await fetch(`${s.url}/cas/${digestBytes(blob)}`);
    if (r.status === 200) bytes += blob.length;
    t.ok(r.status === 200 && Buffer.from(await r.arrayBuffer()).equals(blob), `blob ${digestBytes(blob).slice(0, 8)}: served whole`);
  }
  t.same(s.status(), { ...s.status(), entries: kept.length + blobs.length, bytes }, '/status counts what is served, no more');
  return kept;
}

t.test('after a power loss, blobs answered 201 are served and counted; a record, whole or a miss', { skip: !canLoop && 'needs root, losetup with a free loop device, and mkfs.ext4' }, async (t) => {
  const dir = tmp('sc-index-power-');
  const [image, mnt, after] = [join(dir, 'disk.img'), join(dir, 'mnt'), join(dir, 'after')];
  mkdirSync(mnt);
  mkdirSync(after);
  mountFreshExt4(t, image, mnt);
  const s = await CacheServer.start({ dir: join(mnt, 'serve'), host: '127.0.0.1', port: 0 });
  t.teardown(() => s.close(1000));
  sh(`sync -f '${mnt}'`);
  const blobs = Array.from({ length: 6 }, () => randomBytes(64 * 1024));
  const records = Array.from({ length: 6 }, (_, i) => recordOf(i + 1));
  // As a client writes: an entry's blobs, then the record that names them.
  for (const [i, blob] of blobs.entries()) {
    t.equal(await put(`${s.url}/cas/${digestBytes(blob)}`, blob), 201, `blob ${i + 1} answered 201`);
    t.equal(await put(`${s.url}/ac/${keyOf(i + 1)}`, records[i]!), 201, `record ${i + 1} answered 201`);
  }
  const lastAnswer = Date.now();
  // The power goes now: the disk holds what the file system had sent it (blobDurable.test.ts).
  const copy = join(dir, 'after.img');
  copyFileSync(image, copy);
  mountImage(t, copy, after);
  // A reboot takes a second at least (a server restarted sooner may take a file of the one before for one of its own PUTs: adoptUnindexed.ts).
  while (Date.now() < lastAnswer + 1100) await new Promise((r) => setTimeout(r, 50));
  const logged: string[] = [];
  const again = await CacheServer.start({ dir: join(after, 'serve'), host: '127.0.0.1', port: 0, log: (l) => logged.push(l) });
  t.teardown(() => again.close(1000));
  // The blob files the index lost are counted in in the background, as it starts.
  for (const end = Date.now() + 10_000; Date.now() < end && again.status().entries < blobs.length; ) await new Promise((r) => setTimeout(r, 50));
  const kept = await served(t, again, records, blobs);
  t.comment(`records kept after the power loss: ${kept.join(' ') || 'none'}; ${logged.join('; ')}`);
});

/** The index's current LevelDB log: the one the records just written are in. */
function logOf(dir: string): string {
  const logs = readdirSync(join(dir, 'index')).filter((n) => n.endsWith('.log')).map((n) => join(dir, 'index', n));
  return logs.sort((a, b) => statSync(b).size - statSync(a).size)[0]!;
}

t.test("an index log torn by a power loss (cut short, or a block of it never written) keeps records whole or drops them, and counts only what it keeps", async (t) => {
  const dir = tmp('sc-index-torn-');
  const s = await CacheServer.start({ dir: join(dir, 'serve'), host: '127.0.0.1', port: 0 });
  const records = Array.from({ length: 40 }, (_, i) => recordOf(i + 1));
  for (const [i, record] of records.entries()) t.equal(await put(`${s.url}/ac/${keyOf(i + 1)}`, record), 201, `record ${i + 1} answered 201`);
  // The index as the power loss finds it: the server never closed it (LevelDB hands each write to the kernel as it makes it).
  const snapshot = join(tmp('sc-index-snapshot-'), 'serve');
  cpSync(join(dir, 'serve'), snapshot, { recursive: true });
  await s.close();
  const size = statSync(logOf(snapshot)).size;
  t.ok(size > 64 * 1024, `the records are in its log (${size} bytes): more than two of its 32 KiB blocks`);
  const cases: [string, (log: string) => void][] = [
    ...[0.2, 0.5, 0.77, 0.99].map((f): [string, (log: string) => void] => [`cut at ${Math.round(f * size)} of ${size} bytes`, (log) => truncateSync(log, Math.round(f * size))]),
    // Written back out of order, a page of the log never reached the disk while those after it did: it reads as zeros.
    ['its second 32 KiB block zeros', (log) => {
      const bytes = readFileSync(log);
      bytes.fill(0, 32 * 1024, 64 * 1024);
      writeFileSync(log, bytes);
    }],
  ];
  for (const [name, tear] of cases) {
    t.test(name, async (t) => {
      const copy = join(tmp('sc-index-torn-copy-'), 'serve');
      cpSync(snapshot, copy, { recursive: true });
      tear(logOf(copy));
      const again = await CacheServer.start({ dir: copy, host: '127.0.0.1', port: 0 });
      const kept = await served(t, again, records, []);
      t.ok(kept.length < records.length, `some records are lost (${kept.length} of ${records.length} kept)`);
      // Stopped cleanly with no write since, the totals it counted are the ones the next start reads.
      const counted = again.status();
      await again.close(1000);
      const third = await CacheServer.start({ dir: copy, host: '127.0.0.1', port: 0 });
      t.teardown(() => third.close(1000));
      t.same([third.status().entries, third.status().bytes], [counted.entries, counted.bytes], 'a start after a clean stop counts as the one before did');
    });
  }
});

t.test('the open mark is on the disk once the server has started: a power loss at once still has the next start count the totals again', { skip: !canLoop && 'needs root, losetup with a free loop device, and mkfs.ext4' }, async (t) => {
  const dir = tmp('sc-index-mark-');
  const [image, mnt, after] = [join(dir, 'disk.img'), join(dir, 'mnt'), join(dir, 'after')];
  mkdirSync(mnt);
  mkdirSync(after);
  mountFreshExt4(t, image, mnt);
  sh(`mkdir '${join(mnt, 'serve')}' && sync -f '${mnt}'`);
  const s = await CacheServer.start({ dir: join(mnt, 'serve'), host: '127.0.0.1', port: 0 });
  t.teardown(() => s.close(1000));
  // The power goes now: the disk holds what the file system had sent it (its unsynced writes are not there).
  // With the mark put unsynced, the new index could not even be opened after it (LEVEL_CORRUPTION: no
  // meta-nextfile entry in descriptor, 3 runs of 3): the mark's sync puts LevelDB's new files on the disk.
  const copy = join(dir, 'after.img');
  copyFileSync(image, copy);
  mountImage(t, copy, after);
  const db = new Level<string, Uint8Array>(join(after, 'serve', 'index'), { valueEncoding: 'view' });
  await db.open();
  t.teardown(() => db.close());
  t.not(await db.get('s!open'), undefined, 'the index found after the power loss has the mark (openMark.ts): its writes since are counted again');
});
