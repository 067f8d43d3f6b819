import t from 'tap';
import { gzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { existsSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { digestBytes, initHash } from '@splitcache/hash';
import { CacheServer } from '../src/index.js';
import { serve, tmp } from './serverHelpers.js';

// A blob's file in the other form (raw where the index recorded its gzip body's size, or the reverse)
// is the blob still: a kill between a PUT's rename and its index entry, or a dir sync that failed
// (docs/RELIABILITY.md), leaves it so, and a GET racing a PUT of the other form opens the new file
// with the size it read before. Taken for damage by its size alone, the good blob was a 404, removed
// with its entry: a lost hit for every reader. Now it is served, and the index takes its size.

await initHash();

const blob = Buffer.concat([Buffer.alloc(20_000, 7), randomBytes(2000)]);
const digest = digestBytes(blob);
const gz = gzipSync(blob);

async function status(s: CacheServer): Promise<{ entries: number; bytes: number }> {
  const { entries, bytes } = (await (await fetch(`${s.url}/status`)).json()) as { entries: number; bytes: number };
  return { entries, bytes };
}

for (const [stored, onDisk] of [['gzip', 'raw'], ['raw', 'gzip']] as const) {
  t.test(`PUT ${stored}, its file left in the ${onDisk} form: GET and HEAD 200, kept, /status takes its size`, async (t) => {
    const dir = tmp('sc-otherform-');
    const lines: string[] = [];
    let s = await serve(t, { dir, log: (l) => lines.push(l) });
    const r = await fetch(`${s.url}/cas/${digest}`, { method: 'PUT', body: new Uint8Array(stored === 'gzip' ? gz : blob) });
    t.equal(r.status, 201);
    await s.close(1000);
    // What a kill between the rename of a PUT of the other form and its index entry leaves.
    const file = join(dir, 'cas', digest.slice(0, 2), digest.slice(2));
    writeFileSync(`${file}.new`, onDisk === 'gzip' ? gz : blob);
    renameSync(`${file}.new`, file);
    s = await serve(t, { dir, log: (l) => lines.push(l) });
    const head = await fetch(`${s.url}/cas/${digest}`, { method: 'HEAD' });
    t.equal(head.status, 200, 'HEAD 200');
    const got = await fetch(`${s.url}/cas/${digest}`);
    t.equal(got.status, 200, 'GET 200');
    const body = Buffer.from(await got.arrayBuffer());
    t.ok(body.equals(onDisk === 'gzip' ? gz : blob), 'the file as it is');
    t.ok(existsSync(file), 'the good blob is kept');
    t.same(await status(s), { entries: 1, bytes: statSync(file).size }, '/status counts it at its size on disk');
    t.same(lines.filter((l) => l.includes('SPLITCACHE_SERVE_IO')), [], 'no line: nothing was wrong');
  });
}

t.test('N PUTs of one blob, gzip and raw interleaved with GETs: every GET 200 or 404 of the blob, the blob kept and counted', async (t) => {
  const dir = tmp('sc-otherform-');
  const lines: string[] = [];
  const s = await serve(t, { dir, log: (l) => lines.push(l) });
  t.equal((await fetch(`${s.url}/cas/${digest}`, { method: 'PUT', body: new Uint8Array(gz) })).status, 201);
  const bad: string[] = [];
  const jobs: Promise<void>[] = [];
  for (let i = 0; i < 200; i++) {
    const body = i % 2 ? blob : gz;
    jobs.push(
      fetch(`${s.url}/cas/${digest}`, { method: 'PUT', body: new Uint8Array(body) }).then(async (r) => {
        await r.arrayBuffer();
        if (r.status !== 204 && r.status !== 201) bad.push(`PUT ${r.status}`);
      }),
    );
    for (let j = 0; j < 2; j++) {
      jobs.push(
        fetch(`${s.url}/cas/${digest}`).then(async (r) => {
          const b = Buffer.from(await r.arrayBuffer());
          if (r.status !== 200) bad.push(`GET ${r.status}`);
          else if (!b.equals(blob) && !b.equals(gz)) bad.push('GET wrong bytes');
        }),
      );
    }
  }
  await Promise.all(jobs);
  t.same(bad, [], 'every GET a 200 of the blob, every PUT stored');
  const file = join(dir, 'cas', digest.slice(0, 2), digest.slice(2));
  t.ok(existsSync(file), 'the blob is kept');
  t.same(await status(s), { entries: 1, bytes: statSync(file).size }, '/status counts it at its size on disk');
  t.same(lines.filter((l) => l.includes('SPLITCACHE_SERVE_IO')), [], 'no blob taken for damage');
});
