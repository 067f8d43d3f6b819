import t from 'tap';
import { lstatSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { digestBytes, initHash } from '@splitcache/hash';
import { serve, tmp } from './serverHelpers.js';

// PUTs at once of blobs of one shard whose dir a file replaced: each found the file, and each went to
// move what was in the shard's place aside and make the dir. All but the first found nothing there
// to move, or a dir to make already, or one made when they looked again: a 500 that a retry cleared
// (37-61 of 96 here). A move could as well take the dir the first had just made, its blob in it, after
// its 201. Now a directory is never moved aside, and each PUT goes on into the dir there.

t.before(initHash);

const SHARDS = 24;
const AT_ONCE = 4;

/** `n` blobs whose digests begin with `prefix`. */
function blobsOfShard(prefix: string, n: number): { blob: Buffer; digest: string }[] {
  const out: { blob: Buffer; digest: string }[] = [];
  while (out.length < n) {
    const blob = randomBytes(1500);
    const digest = digestBytes(blob);
    if (digest.startsWith(prefix)) out.push({ blob, digest });
  }
  return out;
}

t.test(`${AT_ONCE} PUTs at once into each of ${SHARDS} shards whose dir is a file: each is stored and served`, async (t) => {
  const dir = tmp('sc-shardrace-');
  const failed: string[] = [];
  const s = await serve(t, { dir, log: (l) => failed.push(l) });
  for (let i = 0; i < SHARDS; i++) {
    const prefix = (0x10 + i).toString(16);
    writeFileSync(join(dir, 'cas', prefix), 'stray');
    const blobs = blobsOfShard(prefix, AT_ONCE);
    const statuses = await Promise.all(blobs.map(({ blob, digest }) => fetch(`${s.url}/cas/${digest}`, { method: 'PUT', body: new Uint8Array(blob) }).then(async (r) => (await r.arrayBuffer(), r.status))));
    for (const [j, { blob, digest }] of blobs.entries()) {
      const got = await fetch(`${s.url}/cas/${digest}`);
      const bytes = Buffer.from(await got.arrayBuffer());
      if (statuses[j] !== 201 || got.status !== 200 || !bytes.equals(blob)) failed.push(`${prefix}: PUT ${statuses[j]}, GET ${got.status}`);
    }
    if (!lstatSync(join(dir, 'cas', prefix)).isDirectory()) failed.push(`${prefix}: no shard dir`);
  }
  t.same(failed, [], `every PUT 201 and its blob served (${failed.length} not: ${failed.slice(0, 6).join('; ')})`);
});
