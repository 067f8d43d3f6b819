import t from 'tap';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack } from 'msgpackr';
import { digestBytes, initHash } from '@splitcache/hash';
import { BlobDir } from '@splitcache/store';
import { CacheServer, decodeEnvelope, MAX_RECORD_BYTES, sealAc } from '../src/index.js';
import { serve, smallTmpfs, tmp } from './serverHelpers.js';

// What a broken or hostile client, or a full disk, did to `splitcache serve`, and to every other
// client of it (a hunting helper's repros against the server; docs/REMOTE.md, "The server").

t.before(initHash);

const put = (url: string, body: Uint8Array) => fetch(url, { method: 'PUT', body: new Uint8Array(body) }).then((r) => r.status);
const status = (url: string, method = 'GET') => fetch(url, { method }).then(async (r) => (await r.arrayBuffer(), r.status));
const acKey = (i: number) => `${i}`.padStart(32, '0');
const record = (i: number) => sealAc({ v: 1, kind: 'inputs', key: acKey(i), crateName: 'x', inputs: ['x'.repeat(30_000)], envDeps: [] }, undefined);

// Each case has a server and a dir of its own; two wait out the server's idle cut-off: two cases at
// a time, 8 s one after another, 5 s so.
t.jobs = 2;

t.test('a full disk: reads are served while it is full and after, and writes come back with the space', async (t) => {
  const dir = smallTmpfs(t, '512k');
  if (!dir) return;
  const s = await serve(t, { dir: join(dir, 'd') });
  const blob = Buffer.from('kept through a full disk\n'.repeat(40));
  const d = digestBytes(blob);
  t.equal(await put(`${s.url}/cas/${d}`, blob), 201, 'a blob is stored');
  const statuses: number[] = [];
  for (let i = 1; i <= 24; i++) statuses.push(await put(`${s.url}/ac/${acKey(i)}`, record(i)));
  t.ok(statuses.includes(507), `the disk filled: 507 (${statuses.join(' ')})`);
  t.equal(await put(`${s.url}/ac/${acKey(50)}`, record(50)), 507, 'a write after the failed one is a 507 too');
  // Before, that write closed the index to reopen it, the open failed on the full disk, and every
  // read was a 500 from then on, until a record's PUT came after the space was back.
  t.equal(await status(`${s.url}/cas/${d}`), 200, 'the blob is served while the disk is full');
  t.equal(await status(`${s.url}/cas/${d}`, 'HEAD'), 200, 'and its HEAD answered');
  t.equal(await status(`${s.url}/ac/${acKey(1)}`), 200, 'a record stored before is served');
  t.equal(await status(`${s.url}/status`), 200, '/status answers');
  t.equal(spawnSync('mount', ['-o', 'remount,size=8m', dir]).status, 0, 'space freed');
  t.equal(await status(`${s.url}/cas/${d}`), 200, 'reads go on with the space back');
  t.equal(await put(`${s.url}/ac/${acKey(101)}`, record(101)), 201, 'and a write is stored again');
  t.equal(await status(`${s.url}/ac/${acKey(101)}`), 200, 'and served');
});

t.test('a blob written again in the other form (gzip, then raw) counts its new size', async (t) => {
  const dir = tmp();
  const s = await serve(t, { dir });
  const raw = Buffer.from('compressible text '.repeat(20_000));
  const d = digestBytes(raw);
  const gz = gzipSync(raw);
  t.equal(await put(`${s.url}/cas/${d}`, gz), 201, 'stored gzipped');
  t.equal(await put(`${s.url}/cas/${d}`, raw), 204, 'written again raw');
  const bytes = ((await (await fetch(`${s.url}/status`)).json()) as { bytes: number }).bytes;
  const onDisk = statSync(new BlobDir(join(dir, 'cas')).pathOf(d)).size;
  t.equal(onDisk, raw.length, 'the file is the raw body');
  t.equal(bytes, onDisk, `the stored bytes count the file as it is now (${bytes}; the gzip was ${gz.length})`);
});

t.test('records: a body of another shape is refused before it is decoded, and one larger than a client reads is refused unread', async (t) => {
  const s = await serve(t);
  const nested = pack({ v: 1, payload: Buffer.from('x'), sig: null, junk: new Array(1000).fill(null) });
  t.equal(decodeEnvelope(nested), undefined, 'an envelope with a container inside is not one');
  t.equal(await put(`${s.url}/ac/${acKey(1)}`, nested), 422, 'its PUT is a 422');
  t.equal(decodeEnvelope(pack([1, 2, 3])), undefined, 'nor is an array');
  t.equal(decodeEnvelope(Buffer.concat([record(2), Buffer.from([0xc0])])), undefined, 'nor an envelope with bytes after it');
  t.ok(decodeEnvelope(record(3)), 'a sealed record is one');
  t.ok(decodeEnvelope(pack({ sig: null, payload: Buffer.from([1]), v: 1 })), 'in any field order');
  const big = Buffer.alloc(MAX_RECORD_BYTES + 1);
  t.equal(await put(`${s.url}/ac/${acKey(4)}`, big), 413, `a record over ${MAX_RECORD_BYTES} bytes, the most a client reads: 413`);
  const r = record(5);
  t.equal(await put(`${s.url}/ac/${acKey(5)}`, r), 201, 'a record is stored');
  const head = await fetch(`${s.url}/ac/${acKey(5)}`, { method: 'HEAD' });
  t.equal(head.status, 200, 'its HEAD answers');
  t.equal(Number(head.headers.get('content-length')), r.length, 'with its length, without reading it');
});

t.test('a client that never reads its response is cut off once the connection has been idle for the idle timeout', async (t) => {
  const s = await serve(t, { idleTimeoutMs: 1000 });
  const blob = randomBytes(16 << 20);
  const d = digestBytes(blob);
  t.equal(await put(`${s.url}/cas/${d}`, blob), 201, 'a 16 MiB blob is stored');
  const u = new URL(s.url);
  const socket = connect(Number(u.port), u.hostname);
  await new Promise((res) => socket.once('connect', res));
  socket.pause();
  socket.write(`GET /cas/${d} HTTP/1.1\r\nHost: x\r\n\r\n`);
  // Nothing is read for 3 s: the kernel's buffers fill, and the server's writes stop moving.
  await new Promise((res) => setTimeout(res, 3000));
  let got = 0;
  socket.on('data', (c: Buffer) => (got += c.length));
  socket.resume();
  await new Promise((res) => socket.once('close', res));
  t.ok(got < blob.length, `the server closed the connection before the body was whole (${got} of ${blob.length} bytes, headers included)`);
  t.equal(await status(`${s.url}/cas/${d}`), 200, 'and serves the next client');
});

t.test('a server that starts on a full disk says why its index cannot be opened', async (t) => {
  const dir = smallTmpfs(t, '64k');
  if (!dir) return;
  spawnSync('sh', ['-c', `head -c 200000 /dev/zero > '${join(dir, 'filler')}'`]);
  // Before, the line said only `cannot be opened`.
  await t.rejects(CacheServer.start({ dir: join(dir, 'd'), host: '127.0.0.1', port: 0 }), { code: 'SPLITCACHE_SERVE_IO', message: /cannot be opened: .*No space left on device/ });
});

t.test("a PUT waiting for the same key's PUT before it is not idle: it is answered once that one ends", async (t) => {
  const s = await serve(t, { idleTimeoutMs: 1000 });
  const blob = randomBytes(10_000);
  const d = digestBytes(blob);
  const u = new URL(s.url);
  const head = `PUT /cas/${d} HTTP/1.1\r\nHost: x\r\nContent-Length: ${blob.length}\r\nConnection: close\r\n\r\n`;
  const answer = (socket: ReturnType<typeof connect>) => {
    let got = '';
    socket.on('data', (c: Buffer) => (got += c.toString()));
    return new Promise<string>((res) => socket.once('close', () => res(got.split('\r\n')[0] || '(no answer)')));
  };
  // The first sends its body slowly, a byte every 300 ms: never idle, and done in ~3 s.
  const first = connect(Number(u.port), u.hostname);
  const firstAnswer = answer(first);
  first.write(head);
  first.write(blob.subarray(0, blob.length - 10));
  let sent = blob.length - 10;
  const drip = setInterval(() => {
    first.write(blob.subarray(sent, sent + 1));
    if (++sent === blob.length) clearInterval(drip);
  }, 300);
  t.teardown(() => clearInterval(drip));
  await new Promise((res) => setTimeout(res, 100));
  // The second sends all at once, and waits its turn for over 2 s: before, it was cut at 1 s.
  const second = connect(Number(u.port), u.hostname);
  const secondAnswer = answer(second);
  second.write(head);
  second.write(blob);
  t.match(await firstAnswer, /^HTTP\/1\.1 201/, 'the slow PUT is stored');
  t.match(await secondAnswer, /^HTTP\/1\.1 204/, 'and the one that waited behind it is answered');
});

t.test('a server closed while a PUT is in flight does not open its index again', async (t) => {
  const dir = tmp();
  const s = await CacheServer.start({ dir, host: '127.0.0.1', port: 0 });
  const blob = randomBytes(100_000);
  const d = digestBytes(blob);
  const u = new URL(s.url);
  // Two PUTs of one key stop mid-body: the second waits for the first, and runs once the close
  // has cut the first off, the index closed by then.
  const stall = () => {
    const c = connect(Number(u.port), u.hostname);
    c.on('error', () => undefined);
    c.write(`PUT /cas/${d} HTTP/1.1\r\nHost: x\r\nContent-Length: ${blob.length}\r\n\r\n`);
    c.write(blob.subarray(0, 1000));
    t.teardown(() => c.destroy());
  };
  stall();
  await new Promise((res) => setTimeout(res, 100));
  stall();
  await new Promise((res) => setTimeout(res, 100));
  await s.close(300);
  await new Promise((res) => setTimeout(res, 500));
  // Before, the request that outlived the close reopened the index, and held its lock.
  const again = await CacheServer.start({ dir, host: '127.0.0.1', port: 0 });
  t.teardown(() => again.close(1000));
  t.pass('a server started next on the same dir, in the same process, gets its index');
});
