import t from 'tap';
import type { Test } from 'tap';
import { createServer } from 'node:http';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { digestBytes, initHash, type Digest } from '@splitcache/hash';
import { RemoteCache, sealAc } from '../src/index.js';
import { listenLoopback } from './serverHelpers.js';

// A server or proxy that compresses what the client never asked it to (it sends no Accept-Encoding):
// each coding HTTP names is undone, and one that can't be undone is one clear line, asked once.

const KEY = 'ab'.repeat(16) as Digest;
const SET = sealAc({ v: 1, kind: 'inputs', key: KEY, crateName: 'c', inputs: ['src/lib.rs'], envDeps: [] }, undefined);
/** A record of another key: refused as it came, so the coding is tried (a plain body under a wrong label is read: mislabelledBody.test.ts). */
const OTHER = sealAc({ v: 1, kind: 'inputs', key: 'ef'.repeat(16) as Digest, crateName: 'c', inputs: ['src/lib.rs'], envDeps: [] }, undefined);
const BLOB = Buffer.from('an object file\n'.repeat(400));
let DIGEST: Digest;
t.before(async () => {
  await initHash();
  DIGEST = digestBytes(BLOB);
});

/** A server that answers every GET with `body` and `Content-Encoding: enc`; counts the requests. */
async function answering(t: Test, enc: string, body: Buffer) {
  let n = 0;
  const s = createServer((req, res) => {
    n++;
    req.resume();
    res.writeHead(200, { 'content-encoding': enc, 'content-length': body.length }).end(body);
  });
  const port = await listenLoopback(t, s);
  const cache = new RemoteCache({ url: `http://127.0.0.1:${port}/sc`, timeoutMs: 2000, retries: 2, breakerThreshold: 3, breakerCooldownMs: 60_000, compression: 'none' });
  t.teardown(() => cache.close());
  return { cache, requests: () => n };
}

const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: { code?: string; message?: string }) => e);

t.test('a record and a blob under each coding HTTP names, however spelled, are read', async (t) => {
  const codings: [string, (b: Buffer) => Buffer][] = [
    ['x-gzip', gzipSync],
    ['GZIP', gzipSync],
    ['deflate', deflateSync],
    ['gzip, br', (b) => brotliCompressSync(gzipSync(b))],
    ['gzip,br', (b) => brotliCompressSync(gzipSync(b))],
    ['identity', (b) => b],
  ];
  for (const [enc, encode] of codings) {
    const rec = await answering(t, enc, encode(SET));
    const set = await rec.cache.getInputSet(KEY).catch((e: Error) => e);
    t.same(set instanceof Error ? set.message : set?.inputs, ['src/lib.rs'], `${enc}: the record is read`);
    const blob = await answering(t, enc, encode(BLOB));
    const got = await blob.cache.getBlob(DIGEST, BLOB.length).catch((e: Error) => e);
    t.ok(Buffer.isBuffer(got) && got.equals(BLOB), `${enc}: the blob is read and verified (${got instanceof Error ? got.message : 'ok'})`);
  }
});

t.test('a body labelled gzip that is none, and fails its check as it came: one request, one line naming the coding', async (t) => {
  const srv = await answering(t, 'gzip', OTHER);
  const err = await failure(srv.cache.getInputSet(KEY));
  t.equal(err?.code, 'SPLITCACHE_REMOTE_HTTP');
  t.match(err?.message, /^GET \/sc\/ac\/[0-9a-f]{32}: Content-Encoding gzip, but the body is no gzip stream \(Z_DATA_ERROR: [^)]*\): a server or proxy that labels what it did not compress\?$/);
  t.equal(srv.requests(), 1, 'not asked again: the same answer would come');
});

t.test('a coding the client does not decode, over a body that fails its check as it came: one request, one line naming it', async (t) => {
  const srv = await answering(t, 'compress', OTHER);
  const err = await failure(srv.cache.getInputSet(KEY));
  t.equal(err?.code, 'SPLITCACHE_REMOTE_HTTP');
  t.match(err?.message, /: Content-Encoding compress, which this client does not decode \(it asks for none: a server or proxy that compresses regardless\?\)$/);
  t.equal(srv.requests(), 1, 'not asked again');
});

// A few hundred bytes that inflate to 64 MiB of zeros: each coding stops at the cap (a record's
// 16 MiB, a blob's own size as its entry records it), not after the whole has been allocated.
t.test('a body under each coding that expands past its cap is refused as it expands', async (t) => {
  const zeros = Buffer.alloc(64 * 2 ** 20);
  const bombs: [string, Buffer][] = [
    ['gzip', gzipSync(zeros)],
    ['X-Gzip', gzipSync(zeros)],
    ['deflate', deflateSync(zeros)],
    ['gzip, br', brotliCompressSync(gzipSync(zeros))],
  ];
  for (const [enc, bomb] of bombs) {
    const rec = await answering(t, enc, bomb);
    const err = await failure(rec.cache.getInputSet(KEY));
    t.equal(err?.code, 'SPLITCACHE_REMOTE_TOO_LARGE', `${enc}: a record`);
    t.match(err?.message, `Content-Encoding ${enc} expands over the 16 MiB limit`, `${enc}: the record's cap`);
    const small = gzipSync(Buffer.alloc(2 ** 20));
    const blob = await answering(t, enc, enc === 'deflate' ? deflateSync(Buffer.alloc(2 ** 20)) : enc === 'gzip, br' ? brotliCompressSync(small) : small);
    const berr = await failure(blob.cache.getBlob(DIGEST, BLOB.length));
    t.equal(berr?.code, 'SPLITCACHE_REMOTE_TOO_LARGE', `${enc}: a blob of ${BLOB.length} bytes served as 1 MiB (${berr?.message})`);
  }
});

t.test('a blob our client sent gzipped, served with Content-Encoding gzip (once, or gzipped again by a proxy), is read; one that decodes to other bytes is refused by its digest', async (t) => {
  const stored = gzipSync(BLOB, { level: 1 });
  for (const body of [stored, gzipSync(stored)]) {
    const srv = await answering(t, 'gzip', body);
    const got = await srv.cache.getBlob(DIGEST, BLOB.length).catch((e: Error) => e);
    t.ok(Buffer.isBuffer(got) && got.equals(BLOB), `read and verified (${got instanceof Error ? got.message : 'ok'})`);
  }
  const other = Buffer.from(BLOB);
  other[7] = other[7]! ^ 1;
  const srv = await answering(t, 'x-gzip', gzipSync(other));
  const err = await failure(srv.cache.getBlob(DIGEST, BLOB.length));
  t.equal(err?.code, 'SPLITCACHE_REMOTE_DIGEST', 'decoded, it still must match its digest');
  const rec = await answering(t, 'deflate', deflateSync(Buffer.from('not a record')));
  t.equal((await failure(rec.cache.getInputSet(KEY)))?.code, 'SPLITCACHE_REMOTE_RECORD', 'and a record its envelope');
});

t.test("a long Content-Encoding is quoted cut: the line stays one short line", async (t) => {
  const srv = await answering(t, `compress, ${'x'.repeat(300)}`, OTHER);
  const err = await failure(srv.cache.getInputSet(KEY));
  t.match(err?.message, /: Content-Encoding compress, x{90}, which this client does not decode/, 'its first 100 characters');
  t.ok((err?.message?.length ?? 0) < 300, `and no more (${err?.message?.length} characters)`);
});

t.test('codings on two Content-Encoding lines are undone in the order applied', async (t) => {
  const body = brotliCompressSync(deflateSync(BLOB));
  const s = createServer((req, res) => {
    req.resume();
    res.setHeader('content-encoding', ['deflate', 'br']);
    res.writeHead(200, { 'content-length': body.length }).end(body);
  });
  const port = await listenLoopback(t, s);
  const cache = new RemoteCache({ url: `http://127.0.0.1:${port}/sc`, timeoutMs: 2000, retries: 0, breakerThreshold: 3, breakerCooldownMs: 60_000, compression: 'none' });
  t.teardown(() => cache.close());
  const got = await cache.getBlob(DIGEST, BLOB.length).catch((e: Error) => e);
  t.ok(Buffer.isBuffer(got) && got.equals(BLOB), `read and verified (${got instanceof Error ? got.message : 'ok'})`);
});
