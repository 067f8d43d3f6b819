import t from 'tap';
import { lstatSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { digestBytes, initHash } from '@splitcache/hash';
import { serve, tmp } from './serverHelpers.js';

// A directory under a blob's name that the index does not name (a restore's, an admin's): a HEAD of
// it is a 404, so a writer PUTs the blob, and the PUT's rename onto the directory failed (EISDIR,
// ENOTEMPTY): a 500 for every PUT of that blob, for good. Now the directory is moved into cas/tmp
// (cleared at the next start) and the blob stored.

t.before(initHash);

for (const full of [false, true]) {
  t.test(`a PUT of a blob whose name an unindexed ${full ? 'non-empty ' : ''}directory holds stores it`, async (t) => {
    const dir = tmp('sc-putdir-');
    const s = await serve(t, { dir });
    const blob = randomBytes(2000);
    const digest = digestBytes(blob);
    const file = join(dir, 'cas', digest.slice(0, 2), digest.slice(2));
    mkdirSync(file, { recursive: true });
    if (full) writeFileSync(join(file, 'something'), 'x');
    t.equal((await fetch(`${s.url}/cas/${digest}`, { method: 'HEAD' })).status, 404, 'HEAD: 404');
    t.equal((await fetch(`${s.url}/cas/${digest}`, { method: 'PUT', body: new Uint8Array(blob) })).status, 201, 'PUT: 201');
    t.ok(lstatSync(file).isFile(), 'the blob is a file now');
    const got = await fetch(`${s.url}/cas/${digest}`);
    t.equal(got.status, 200);
    t.ok(Buffer.from(await got.arrayBuffer()).equals(blob), 'served whole');
    t.match(readdirSync(join(dir, 'cas', 'tmp')), [/\.not-a-blob$/], 'the directory is in cas/tmp, for the next start to clear');
  });
}
