import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { digestBytes, initHash } from '@splitcache/hash';
import type { CacheServer } from '../src/index.js';
import { serve, tmp } from './serverHelpers.js';

// What another program leaves under a stored blob's name in cas/ (an admin, an rsync, a restore):
// a FIFO, a link to /dev/zero, a directory, a file cut short. GET and HEAD opened it with a plain,
// blocking open: a FIFO held the request and one of libuv's four threads for good (four such GETs
// hung every request that needs a thread, the index's reads too); the rest were a 200 of wrong
// bytes, or a 200 cut off, and the HEAD's 200 kept writers from sending the blob again. Now each is a
// 404 with one SPLITCACHE_SERVE_IO line, removed from /status, and a PUT stores the blob anew.

t.before(initHash);

/** A request that gives up after `ms` (a hang, here, not a slow answer): its status, or 'hung'. */
async function ask(url: string, method: string, body?: Buffer, ms = 20_000): Promise<number | 'hung'> {
  try {
    const r = await fetch(url, { method, body: body && new Uint8Array(body), signal: AbortSignal.timeout(ms) });
    await r.arrayBuffer();
    return r.status;
  } catch (err) {
    if ((err as Error).name === 'TimeoutError') return 'hung';
    throw err;
  }
}

async function status(s: CacheServer): Promise<{ entries: number; bytes: number }> {
  const { entries, bytes } = (await (await fetch(`${s.url}/status`)).json()) as { entries: number; bytes: number };
  return { entries, bytes };
}

/** Stores a fresh blob on `s`: its digest, bytes and file. */
async function stored(t: Test, s: CacheServer, dir: string) {
  const blob = randomBytes(3000);
  const digest = digestBytes(blob);
  t.equal(await ask(`${s.url}/cas/${digest}`, 'PUT', blob), 201);
  return { digest, blob, file: join(dir, 'cas', digest.slice(0, 2), digest.slice(2)) };
}

const placed: [string, (file: string) => void][] = [
  ['a FIFO', (f) => execFileSync('mkfifo', [f])],
  ['a symlink to /dev/zero', (f) => symlinkSync('/dev/zero', f)],
  ['a directory', (f) => mkdirSync(join(f, 'inside'), { recursive: true })],
  ['a symlink to a directory', (f) => symlinkSync(tmp(), f)],
  ['an empty file', (f) => writeFileSync(f, '')],
  ['a file cut short', (f) => writeFileSync(f, 'abc')],
  // ELOOP, for good: before, a 500 to each GET and HEAD, and its item stayed counted.
  ['a symlink to itself', (f) => symlinkSync(f, f)],
  ['a symlink to a symlink back to it', (f) => (symlinkSync(f, `${f}.back`), symlinkSync(`${f}.back`, f))],
];

for (const [what, make] of placed) {
  t.test(`${what} under a stored blob's name: HEAD and GET 404 with one line, /status true, a PUT stores it anew`, async (t) => {
    const dir = tmp('sc-notblob-');
    const lines: string[] = [];
    const s = await serve(t, { dir, log: (l) => lines.push(l) });
    const { digest, blob, file } = await stored(t, s, dir);
    const other = await stored(t, s, dir);
    rmSync(file);
    make(file);
    t.equal(await ask(`${s.url}/cas/${digest}`, 'HEAD'), 404, 'HEAD: 404');
    t.equal(await ask(`${s.url}/cas/${digest}`, 'GET'), 404, 'GET: 404');
    t.same(await status(s), { entries: 1, bytes: other.blob.length }, '/status counts only the blob still there');
    t.match(lines, [/^SPLITCACHE_SERVE_IO: blob file of [0-9a-f]{32} is .*: answered 404/], 'one line says it');
    t.equal(lines.length, 1);
    t.equal(await ask(`${s.url}/cas/${digest}`, 'PUT', blob), 201, 'a PUT of the blob stores it');
    const got = await fetch(`${s.url}/cas/${digest}`);
    t.equal(got.status, 200);
    t.ok(Buffer.from(await got.arrayBuffer()).equals(blob), 'and it is served whole');
    t.ok(lstatSync(file).isFile());
    t.same(await status(s), { entries: 2, bytes: 2 * blob.length });
  });
}

t.test('four GETs of a FIFO under a blob\'s name do not hang the server', async (t) => {
  const dir = tmp('sc-notblob-');
  const s = await serve(t, { dir });
  const fifo = await stored(t, s, dir);
  const good = await stored(t, s, dir);
  rmSync(fifo.file);
  execFileSync('mkfifo', [fifo.file]);
  // Each GET's open waited for a writer in one of libuv's four threads; the good blob's index read needs one too.
  const fifoGets = Promise.all([1, 2, 3, 4].map(() => ask(`${s.url}/cas/${fifo.digest}`, 'GET')));
  t.equal(await ask(`${s.url}/cas/${good.digest}`, 'GET'), 200, 'another blob is served');
  t.same(await fifoGets, [404, 404, 404, 404], 'the FIFO\'s GETs are answered');
  t.notOk(existsSync(fifo.file), 'the FIFO is gone');
});
