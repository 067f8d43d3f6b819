import t from 'tap';
import { existsSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { digestBytes, initHash } from '@splitcache/hash';
import { CacheServer } from '../src/index.js';
import { tmp } from './serverHelpers.js';

// A server started over --max-size evicts as it starts, while it walks cas/ for blob files its
// index lacks (adoptUnindexed.ts). A blob evicted between the walk's stat of its file and its
// index check was counted in again, its file removed: /status counted entries no file held, the
// log said they were counted in, and --max-size evicted by bytes that were not there (3000 blobs
// with the limit halved: 31 to 36 such entries here). Now eviction waits for the walk.

t.before(initHash);

/** The blob files in `cas` and their bytes. */
function onDisk(cas: string): { entries: number; bytes: number } {
  let [entries, bytes] = [0, 0];
  for (const shard of readdirSync(cas).filter((n) => /^[0-9a-f]{2}$/.test(n))) {
    for (const name of readdirSync(join(cas, shard))) {
      entries++;
      bytes += statSync(join(cas, shard, name)).size;
    }
  }
  return { entries, bytes };
}

t.test('a start over --max-size evicts blobs, and counts in none of those it evicts', async (t) => {
  const dir = tmp('sc-adopt-evict-');
  const cas = join(dir, 'cas');
  const n = 3000;
  const old = new Date(Date.now() - 3_600_000);
  const digests: string[] = [];
  for (let i = 0; i < n; i++) {
    const blob = randomBytes(1000);
    const digest = digestBytes(blob);
    mkdirSync(join(cas, digest.slice(0, 2)), { recursive: true });
    writeFileSync(join(cas, digest.slice(0, 2), digest.slice(2)), blob);
    utimesSync(join(cas, digest.slice(0, 2), digest.slice(2)), old, old);
    digests.push(digest);
  }
  // Counted in by a first start, then read in another order than the walk's, as clients read: the LRU order.
  let s = await CacheServer.start({ dir, host: '127.0.0.1', port: 0, lruGranularityMs: 0 });
  for (const end = Date.now() + 60_000; s.status().entries < n && Date.now() < end; ) await new Promise((r) => setTimeout(r, 50));
  t.equal(s.status().entries, n, 'the first start counts every file in');
  digests.sort(() => Math.random() - 0.5);
  for (const digest of digests) await fetch(`${s.url}/cas/${digest}`, { method: 'HEAD' });
  await s.close(1000);

  const logged: string[] = [];
  const max = (n / 2) * 1000;
  s = await CacheServer.start({ dir, host: '127.0.0.1', port: 0, maxSize: max, log: (l) => logged.push(l) });
  for (const end = Date.now() + 60_000; s.status().bytes > max && Date.now() < end; ) await new Promise((r) => setTimeout(r, 50));
  // The stop waits for the walk and the eviction to end.
  await s.close(1000);
  const { entries, bytes } = s.status();
  t.same({ entries, bytes }, onDisk(cas), '/status counts the files there, no more');
  t.equal(bytes, max, 'evicted down to --max-size, by bytes that are there');
  t.same(logged, [], 'and no file is said to be counted in');
});

t.test("a file in a shard dir not named as a blob (an rsync's temp file, NFS's .nfs…) is not counted in, nor breaks an eviction", async (t) => {
  const dir = tmp('sc-adopt-junk-');
  const cas = join(dir, 'cas');
  const old = new Date(Date.now() - 3_600_000);
  const blob = randomBytes(1000);
  const digest = digestBytes(blob);
  mkdirSync(join(cas, digest.slice(0, 2)), { recursive: true });
  const [file, junk] = [join(cas, digest.slice(0, 2), digest.slice(2)), join(cas, digest.slice(0, 2), `.${digest.slice(2)}.Xy12Ab`)];
  writeFileSync(file, blob);
  writeFileSync(junk, blob.subarray(0, 300));
  for (const f of [file, junk]) utimesSync(f, old, old);
  const logged: string[] = [];
  const s = await CacheServer.start({ dir, host: '127.0.0.1', port: 0, log: (l) => logged.push(l) });
  for (const end = Date.now() + 10_000; logged.length === 0 && Date.now() < end; ) await new Promise((r) => setTimeout(r, 50));
  await s.close(1000);
  t.same([s.status().entries, s.status().bytes], [1, 1000], 'the blob is counted in, the other file not');
  t.same(logged, ['1 blob file(s) the index lacked (a kill or a power loss between a blob\'s write and its index entry) counted in'], 'one file counted in');
  // Counted in, it was evicted in its turn, and its name, no digest, threw: the rest of that pass's blobs left the index and kept their files.
  logged.length = 0;
  const small = await CacheServer.start({ dir, host: '127.0.0.1', port: 0, maxSize: 500, log: (l) => logged.push(l) });
  for (const end = Date.now() + 10_000; small.status().bytes > 500 && Date.now() < end; ) await new Promise((r) => setTimeout(r, 50));
  await small.close(1000);
  t.same(logged, [], 'an eviction over --max-size goes without a fault');
  t.notOk(existsSync(file), 'and removes the blob it evicts');
});

t.test('a file under a blob\'s name that does not hold it (cut short, empty) is not counted in, nor served; one stored gzipped is', async (t) => {
  const dir = tmp('sc-adopt-check-');
  const cas = join(dir, 'cas');
  const old = new Date(Date.now() - 3_600_000);
  const blobs = [randomBytes(64 * 1024), randomBytes(1000), Buffer.alloc(200 * 1024, 'a')];
  const [cut, empty, zipped] = blobs.map((b) => digestBytes(b));
  const place = (digest: string, bytes: Uint8Array) => {
    mkdirSync(join(cas, digest.slice(0, 2)), { recursive: true });
    writeFileSync(join(cas, digest.slice(0, 2), digest.slice(2)), bytes);
    utimesSync(join(cas, digest.slice(0, 2), digest.slice(2)), old, old);
  };
  place(cut!, blobs[0]!.subarray(0, 4096));
  place(empty!, new Uint8Array(0));
  place(zipped!, gzipSync(blobs[2]!));
  const logged: string[] = [];
  const s = await CacheServer.start({ dir, host: '127.0.0.1', port: 0, log: (l) => logged.push(l) });
  t.teardown(() => s.close(1000));
  for (const end = Date.now() + 10_000; logged.length === 0 && Date.now() < end; ) await new Promise((r) => setTimeout(r, 50));
  t.same(logged, ['1 blob file(s) the index lacked (a kill or a power loss between a blob\'s write and its index entry) counted in'], 'one file counted in: the gzipped blob');
  t.equal((await fetch(`${s.url}/cas/${zipped}`, { method: 'HEAD' })).status, 200, 'the gzipped blob is served');
  for (const [name, digest] of [['cut short', cut], ['empty', empty]]) {
    t.equal((await fetch(`${s.url}/cas/${digest}`, { method: 'HEAD' })).status, 404, `the ${name} file is not: its writer's HEAD has it sent again`);
  }
  t.equal((await fetch(`${s.url}/cas/${cut}`, { method: 'PUT', body: new Uint8Array(blobs[0]!) })).status, 201, 'and its PUT is answered 201');
  t.ok(Buffer.from(await (await fetch(`${s.url}/cas/${cut}`)).arrayBuffer()).equals(blobs[0]!), 'then served whole');
});
