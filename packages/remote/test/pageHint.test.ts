import t from 'tap';
import { createServer } from 'node:http';
import { digestBytes, initHash, type Digest } from '@splitcache/hash';
import { RemoteCache } from '../src/index.js';
import { listenLoopback } from './serverHelpers.js';

// A server that answers 200 with an HTML page for what it lacks (nginx's `error_page 404 =200`, a
// proxy's login portal): each record and blob is refused, and the line says it was a page.

const KEY = 'ab'.repeat(16) as Digest;
const PAGE = '\n<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>Please sign in</body></html>\n';

t.before(initHash);

t.test('a record or blob answered with an HTML page is refused, and the line names the page', async (t) => {
  const s = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(PAGE) }).end(req.method === 'HEAD' ? undefined : PAGE);
  });
  const port = await listenLoopback(t, s);
  const cache = new RemoteCache({ url: `http://127.0.0.1:${port}/sc`, timeoutMs: 2000, retries: 0, breakerThreshold: 3, breakerCooldownMs: 60_000, compression: 'none' });
  t.teardown(() => cache.close());
  const record = await cache.getInputSet(KEY).then(() => undefined, (e: { code?: string; message?: string }) => e);
  t.equal(record?.code, 'SPLITCACHE_REMOTE_RECORD');
  t.match(record?.message, /^remote record [0-9a-f]{32}: not an AC envelope: an HTML page \(a server or proxy that answers 200 with a page for what it lacks/);
  const blob = Buffer.from('object bytes');
  const err = await cache.getBlob(digestBytes(blob), blob.length).then(() => undefined, (e: { code?: string; message?: string }) => e);
  t.equal(err?.code, 'SPLITCACHE_REMOTE_DIGEST');
  t.match(err?.message, /does not match its digest \(\d+ bytes received\): an HTML page \(.*keeps writers from uploading blobs\)$/);
});

t.test('a damaged body that is no page says nothing more', async (t) => {
  const s = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-length': 5 }).end('<<<<<');
  });
  const port = await listenLoopback(t, s);
  const cache = new RemoteCache({ url: `http://127.0.0.1:${port}/sc`, timeoutMs: 2000, retries: 0, breakerThreshold: 3, breakerCooldownMs: 60_000, compression: 'none' });
  t.teardown(() => cache.close());
  const err = await cache.getInputSet(KEY).then(() => undefined, (e: { message?: string }) => e);
  t.match(err?.message, /: not an AC envelope$/);
});
