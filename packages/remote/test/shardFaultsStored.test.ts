import t from 'tap';
import { request } from 'node:http';
import { existsSync, readdirSync, rmSync, renameSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { digestBytes, initHash } from '@splitcache/hash';
import type { CacheServer } from '../src/index.js';
import { serve, tmp } from './serverHelpers.js';

// Faults around a shard dir that holds stored blobs. A file in its place (ENOTDIR to a GET) is a 404
// that drops the item, not a 500 for good. A PUT whose temp file went with cas/tmp (`rm -rf cas/tmp`
// mid-body) fails alone: its rename's ENOENT is not taken for a shard dir gone, which would move the
// shard, with every blob stored in it, into cas/tmp.

await initHash();

function blobOfShard(prefix: string): { blob: Buffer; digest: string } {
  for (;;) {
    const blob = randomBytes(1500);
    const digest = digestBytes(blob);
    if (digest.startsWith(prefix)) return { blob, digest };
  }
}

async function entries(s: CacheServer): Promise<number> {
  return ((await (await fetch(`${s.url}/status`)).json()) as { entries: number }).entries;
}

t.test("a file in a stored blob's shard dir's place: GET 404, its item dropped", async (t) => {
  const dir = tmp('sc-shardstored-');
  const s = await serve(t, { dir });
  const { blob, digest } = blobOfShard('cd');
  t.equal((await fetch(`${s.url}/cas/${digest}`, { method: 'PUT', body: new Uint8Array(blob) })).status, 201);
  renameSync(join(dir, 'cas', 'cd'), join(dir, 'elsewhere'));
  writeFileSync(join(dir, 'cas', 'cd'), 'stray');
  t.equal((await fetch(`${s.url}/cas/${digest}`)).status, 404, 'GET: 404, not a 500 for good');
  t.equal(await entries(s), 0, '/status counts it no more');
});

t.test('its temp file removed while a PUT writes: that PUT fails, the stored blobs of its shard stay', async (t) => {
  const dir = tmp('sc-shardstored-');
  const s = await serve(t, { dir });
  const kept = blobOfShard('ef');
  t.equal((await fetch(`${s.url}/cas/${kept.digest}`, { method: 'PUT', body: new Uint8Array(kept.blob) })).status, 201);
  const late = blobOfShard('ef');
  const temp = join(dir, 'cas', 'tmp');
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(`${s.url}/cas/${late.digest}`, { method: 'PUT', headers: { 'content-length': late.blob.length } }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', reject);
    req.write(late.blob.subarray(0, 100));
    const poll = setInterval(() => {
      if (readdirSync(temp).length === 0) return; // its temp file not made yet
      clearInterval(poll);
      for (const f of readdirSync(temp)) rmSync(join(temp, f)); // a cleaner of temp files
      req.end(late.blob.subarray(100));
    }, 10);
  });
  t.not(status, 201, `the PUT whose temp file went is refused (${status})`);
  t.ok(existsSync(join(dir, 'cas', 'ef', kept.digest.slice(2))), 'the stored blob of its shard is still there');
  const got = await fetch(`${s.url}/cas/${kept.digest}`);
  t.equal(got.status, 200, 'and served');
  t.ok(Buffer.from(await got.arrayBuffer()).equals(kept.blob));
  t.equal(await entries(s), 1);
  t.equal((await fetch(`${s.url}/cas/${late.digest}`, { method: 'PUT', body: new Uint8Array(late.blob) })).status, 201, 'sent again, it is stored');
});
