import t from 'tap';
import { lstatSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { digestBytes, initHash } from '@splitcache/hash';
import { serve, tmp } from './serverHelpers.js';

// A file (or a dangling symlink) where one of cas/'s 256 shard dirs belongs (a restore's, an admin's):
// every PUT of a blob of that shard renamed its body into it and failed (ENOTDIR), a 500 for good, so
// 1 blob in 256 was never stored. Now it is moved into cas/tmp (cleared at the next start) and the dir made.

t.before(initHash);

/** A blob whose digest begins with `ab`. */
function blobOfShard(prefix: string): { blob: Buffer; digest: string } {
  for (;;) {
    const blob = randomBytes(1500);
    const digest = digestBytes(blob);
    if (digest.startsWith(prefix)) return { blob, digest };
  }
}

const placed: [string, (p: string) => void][] = [
  ['a file', (p) => writeFileSync(p, 'stray')],
  ['a dangling symlink', (p) => symlinkSync(join(tmp(), 'gone'), p)],
];

for (const [what, make] of placed) {
  t.test(`${what} in a shard dir's place: a PUT of a blob of that shard stores it`, async (t) => {
    const dir = tmp('sc-shard-');
    const s = await serve(t, { dir });
    make(join(dir, 'cas', 'ab'));
    const { blob, digest } = blobOfShard('ab');
    t.equal((await fetch(`${s.url}/cas/${digest}`, { method: 'PUT', body: new Uint8Array(blob) })).status, 201, 'PUT: 201');
    const got = await fetch(`${s.url}/cas/${digest}`);
    t.equal(got.status, 200);
    t.ok(Buffer.from(await got.arrayBuffer()).equals(blob), 'served whole');
    t.ok(lstatSync(join(dir, 'cas', 'ab')).isDirectory(), 'the shard is a directory');
    t.match(readdirSync(join(dir, 'cas', 'tmp')), [/\.not-a-shard$/], 'what was there is in cas/tmp');
  });
}
