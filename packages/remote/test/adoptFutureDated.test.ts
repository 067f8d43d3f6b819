import t from 'tap';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { digestBytes, initHash } from '@splitcache/hash';
import { BlobDir } from '@splitcache/store';
import { serve, tmp } from './serverHelpers.js';

// A blob file the index lacks, dated ahead of the clock (a restore that kept the times of a machine
// whose clock ran ahead, a `touch -d`): a start took it for a PUT in hand and left it uncounted, never
// evicted by --max-size and answered 404, until that date came. Now one dated over ten minutes ahead is
// counted in, hashed first as any other.

t.before(initHash);

t.test('an unindexed blob file dated a month ahead is counted in at the start', async (t) => {
  const dir = tmp('sc-ahead-');
  const blobs = new BlobDir(join(dir, 'cas'));
  const [ahead, wrong] = [randomBytes(5000), randomBytes(5000)];
  const month = (Date.now() + 30 * 86_400_000) / 1000;
  for (const [body, bytes] of [[ahead, ahead], [wrong, randomBytes(5000)]] as const) {
    const path = blobs.pathOf(digestBytes(body));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, bytes);
    utimesSync(path, month, month);
  }
  const lines: string[] = [];
  const s = await serve(t, { dir, log: (l) => lines.push(l) });
  for (let i = 0; i < 200 && s.status().entries === 0; i++) await new Promise((r) => setTimeout(r, 50));
  t.same([s.status().entries, s.status().bytes], [1, ahead.length], 'counted in, the one that holds its blob only');
  const got = await fetch(`${s.url}/cas/${digestBytes(ahead)}`);
  t.equal(got.status, 200);
  t.ok(Buffer.from(await got.arrayBuffer()).equals(ahead), 'and served');
  t.equal((await fetch(`${s.url}/cas/${digestBytes(wrong)}`)).status, 404, 'the one that does not hold its blob is not');
  t.match(lines, [/^1 blob file\(s\) the index lacked/]);
});
