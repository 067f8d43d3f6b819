import t from 'tap';
import type { Test } from 'tap';
import { createServer } from 'node:http';
import { listenLoopback } from './serverHelpers.js';
import { gzipSync } from 'node:zlib';
import { digestBytes, initHash } from '@splitcache/hash';
import { RemoteCache } from '../src/index.js';

// A blob fetched for an entry is bounded by the size the entry records (remoteCache.ts getBlob),
// not by the largest blob the store takes: a server that sends another body, raw or gzipped, makes
// the daemon hold no more than about that size. A mutation audit found neither bound held by a test
// (each test gave a cap, maxBlobBytes, that stopped the body anyway).

t.before(initHash);

/** A server that answers every GET with `body` (chunked, so no Content-Length refuses it first); `sent()`: the bytes it wrote. */
async function serving(t: Test, body: () => Buffer | 'endless') {
  let sent = 0;
  const s = createServer((_req, res) => {
    res.writeHead(200);
    const b = body();
    if (b !== 'endless') {
      sent += b.length;
      return void res.end(b);
    }
    const chunk = Buffer.alloc(64 * 1024, 1);
    const more = () => {
      while (!res.destroyed && sent < 256 * 2 ** 20) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', more);
      }
      res.destroy();
    };
    more();
  });
  const port = await listenLoopback(t, s);
  const cache = new RemoteCache({ url: `http://127.0.0.1:${port}`, timeoutMs: 5000, retries: 0, breakerThreshold: 3, breakerCooldownMs: 60_000, compression: 'gzip' });
  t.teardown(() => cache.close());
  return { cache, sent: () => sent };
}

/** How far this process's rss grew while `fn` ran, sampled every 5 ms (MiB). */
async function rssGrowth(fn: () => Promise<unknown>): Promise<number> {
  const before = process.memoryUsage().rss;
  let peak = before;
  const watch = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  try {
    await fn();
  } finally {
    clearInterval(watch);
  }
  return (Math.max(peak, process.memoryUsage().rss) - before) / 2 ** 20;
}

/** A blob no body here matches. */
const digest = () => digestBytes(Buffer.from('a blob of a thousand bytes'));

t.test("a blob's body stops just past the size its entry records, though the store would take more", async (t) => {
  const srv = await serving(t, () => 'endless');
  let err: { code?: string; message?: string } | undefined;
  const grew = await rssGrowth(() => srv.cache.getBlob(digest(), 1000).catch((e: typeof err) => (err = e)));
  t.equal(err?.code, 'SPLITCACHE_REMOTE_TOO_LARGE', 'refused as too large');
  // 1000 bytes, the most deflate adds to them (1 per KiB) and 1 KiB for a gzip header and trailer.
  t.match(err?.message, /body over the 2025 bytes limit/, 'at the bound of a 1000-byte blob');
  t.ok(srv.sent() < 32 * 2 ** 20, `the client stopped reading (${srv.sent()} bytes sent)`);
  t.ok(grew < 128, `rss +${grew.toFixed(0)} MiB`);
});

t.test('a gzipped body for a blob inflates no further than the size its entry records', async (t) => {
  // 1 GiB of zeros in about 1 MB: a body within the bound of a 1 MiB blob.
  const bomb = gzipSync(Buffer.alloc(2 ** 30), { level: 9 });
  const srv = await serving(t, () => bomb);
  let err: { code?: string } | undefined;
  const grew = await rssGrowth(() => srv.cache.getBlob(digest(), 2 ** 20).catch((e: typeof err) => (err = e)));
  t.equal(err?.code, 'SPLITCACHE_REMOTE_DIGEST', 'refused: not the blob');
  t.ok(grew < 256, `inflated no more than the blob's size: rss +${grew.toFixed(0)} MiB`);
});
