import t from 'tap';
import type { Test } from 'tap';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenLoopback } from './serverHelpers.js';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { HttpRemote, RemoteCache, sealAc, type HttpRemoteOptions } from '../src/index.js';

// What each kind of answer does to a request, its retries and the circuit breaker (httpRemote.ts):
// cases a mutation audit of the client found no test held.

type Answer = (req: IncomingMessage, res: ServerResponse, n: number) => void;

/** An HTTP server on loopback that answers as `answer` says; counts the requests it got. */
async function answering(t: Test, answer: Answer) {
  let n = 0;
  const s = createServer((req, res) => {
    req.resume();
    answer(req, res, ++n);
  });
  const port = await listenLoopback(t, s);
  return { url: `http://127.0.0.1:${port}/sc`, requests: () => n };
}

function remote(t: Test, url: string, o: Partial<HttpRemoteOptions> = {}) {
  const r = new HttpRemote({ url, timeoutMs: 2000, retries: 2, breakerThreshold: 3, breakerCooldownMs: 60_000, ...o });
  t.teardown(() => r.close());
  return r;
}

/** Math.random replaced for the test's length: the client calls it for nothing but a retry's jitter. */
function randomIs(t: Test, fn: () => number) {
  const real = Math.random;
  Math.random = fn;
  t.teardown(() => void (Math.random = real));
}

const codeOf = (p: Promise<unknown>) => p.then(() => 'ok', (e: { code?: string }) => String(e.code));

// A PUT the server answers 404 (a proxy's route that leads nowhere, a WebDAV server without PUT on
// that path) stored nothing: taken as a success, the upload queue would delete the item as sent.
t.test('a PUT answered 404 is a failure (the upload stays queued), a GET or HEAD answered 404 a miss', async (t) => {
  const srv = await answering(t, (_req, res) => res.writeHead(404, { 'content-length': 0 }).end());
  const r = remote(t, srv.url);
  t.equal(await codeOf(r.put('/cas/x', Buffer.from('body'))), 'SPLITCACHE_REMOTE_HTTP', 'the PUT fails');
  t.equal(await r.get('/cas/x'), undefined, 'a GET: undefined');
  t.equal(await r.head('/cas/x'), false, 'a HEAD: false');
  t.equal(srv.requests(), 3, 'none retried');
  t.equal(r.breaker.trips, 0, 'nor held against the server');
});

// A body read only to be dropped (a 404's, a PUT's answer) stops quietly past 64 KiB: a proxy's or
// a CDN's error page is larger than that. Taken for a body over its cap (a mutation audit's: no
// test held it), each miss would be SPLITCACHE_REMOTE_TOO_LARGE, held against the server: three
// misses in a row, as a cold cache's first crates are, opened the breaker.
t.test("a 404 or a PUT's answer with a page over 64 KiB is a miss or a success, held against nothing", async (t) => {
  const page = Buffer.alloc(200 * 1024, 'x');
  const srv = await answering(t, (req, res) => {
    res.writeHead(req.method === 'PUT' ? 201 : 404, req.url?.endsWith('/chunked') ? {} : { 'content-length': page.length });
    res.end(req.method === 'HEAD' ? undefined : page);
  });
  const r = remote(t, srv.url);
  for (const path of ['/cas/x', '/cas/chunked', '/ac/x', '/ac/chunked']) {
    t.equal(await r.get(path), undefined, `GET ${path}: a miss`);
    t.equal(await r.head(path), false, `HEAD ${path}: a miss`);
    await r.put(path, Buffer.from('body'));
  }
  t.equal(srv.requests(), 12, 'none retried');
  t.equal(r.breaker.trips, 0, 'the breaker stays closed');
});

// The half-open probe answered with a refusal (a 413 for an upload's blob, a 403, a 507) is an
// answer: the server is up. Left half-open, the probe's flag stayed set and every request after it
// was refused for the daemon's life.
for (const [status, code] of [[413, 'SPLITCACHE_REMOTE_TOO_LARGE'], [403, 'SPLITCACHE_REMOTE_AUTH'], [507, 'SPLITCACHE_REMOTE_FULL']] as const) {
  t.test(`a probe answered ${status} closes the breaker: the server answered`, async (t) => {
    let down = true;
    const srv = await answering(t, (req, res) => {
      if (down) return void res.writeHead(502, { 'content-length': 0 }).end();
      if (req.method === 'PUT') return void res.writeHead(status, { 'content-length': 0 }).end();
      res.writeHead(200, { 'content-length': 2 }).end('ok');
    });
    const r = remote(t, srv.url, { retries: 0, breakerThreshold: 1, breakerCooldownMs: 100 });
    t.equal(await codeOf(r.head('/cas/x')), 'SPLITCACHE_REMOTE_HTTP', 'a 502 opens the breaker');
    t.ok(r.breaker.isOpen);
    await new Promise((res) => setTimeout(res, 150));
    down = false;
    t.equal(await codeOf(r.put('/cas/y', Buffer.from('y'))), code, `the probe, a PUT, is refused: ${code}`);
    t.notOk(r.breaker.isOpen, 'the breaker is closed');
    t.same(await r.get('/cas/x'), Buffer.from('ok'), 'and the next read goes through');
  });
}

// A request waiting to retry when another's timeout opened the breaker: its retry would go to a
// server just found failing, and, sent after the breaker aborted what was in flight, wait out a
// timeout of its own.
t.test('a retry due after the breaker opened is not sent', async (t) => {
  const srv = await answering(t, (_req, res) => res.writeHead(503, { 'content-length': 0 }).end());
  const r = remote(t, srv.url, { retries: 2 });
  // The jitter's draw is the moment the request waits to retry: the breaker opens then, as another
  // request's timeout would open it.
  randomIs(t, () => (r.breaker.failure('timeout'), 0));
  t.equal(await codeOf(r.get('/cas/x')), 'SPLITCACHE_REMOTE_BREAKER_OPEN', 'the request ends as skipped');
  t.equal(srv.requests(), 1, 'after its one attempt');
});

// SPLITCACHE_REMOTE_RETRIES goes up to 10: with each wait up to 50 ms × 2^attempt uncapped, a
// lookup against a server answering 503 waited up to 102 s in all (51 s on average).
t.test('the wait before a retry is at most 2 s, however many retries', async (t) => {
  const srv = await answering(t, (_req, res) => res.writeHead(503, { 'content-length': 0 }).end());
  const r = remote(t, srv.url, { retries: 10, breakerThreshold: 100 });
  // A fiftieth of each wait's bound: 262 ms in all with the cap, 2 s without.
  randomIs(t, () => 0.02);
  const t0 = Date.now();
  t.equal(await codeOf(r.get('/cas/x')), 'SPLITCACHE_REMOTE_HTTP');
  const ms = Date.now() - t0;
  t.equal(srv.requests(), 11, 'eleven attempts');
  t.ok(ms < 1500, `in ${ms} ms`);
});

// docs/REMOTE.md: a 429 to a GET or HEAD is retried, as a 5xx is.
t.test('a GET answered 429 is retried, then succeeds', async (t) => {
  const srv = await answering(t, (_req, res, n) => (n === 1 ? res.writeHead(429, { 'content-length': 0 }).end() : res.writeHead(200, { 'content-length': 2 }).end('ok')));
  randomIs(t, () => 0);
  t.same(await remote(t, srv.url).get('/cas/x'), Buffer.from('ok'));
  t.equal(srv.requests(), 2, 'one retry');
});

// The hard limit per request (deadlineMs, 120 s by default) bounds the wait for the headers: a
// PUT gets 1 s more per 100 kB it sends, and a body read after the headers is bounded by its own
// rate (bodyReader.ts). Otherwise a blob of 24 MB could never go up over a link of 150 kB/s, nor come
// down: each attempt cut off at 120 s, as a timeout that opened the breaker.
t.test('a PUT gets 1 s per 100 kB past the hard limit to be answered', async (t) => {
  const srv = await answering(t, (_req, res) => void setTimeout(() => res.writeHead(201, { 'content-length': 0 }).end(), 600));
  const r = remote(t, srv.url, { deadlineMs: 300 });
  // 100 kB: a hard limit of 300 ms + 1 s.
  t.equal(await codeOf(r.put('/cas/x', Buffer.alloc(100_000))), 'ok', 'answered after 600 ms: within it');
  t.equal(await codeOf(r.put('/cas/x', Buffer.alloc(10))), 'SPLITCACHE_REMOTE_TIMEOUT', 'a body of 10 bytes gets 300 ms');
});

t.test('a body that keeps coming after its headers is not cut off by the hard limit', async (t) => {
  const body = Buffer.alloc(200_000, 3);
  const srv = await answering(t, (_req, res) => {
    res.writeHead(200, { 'content-length': body.length });
    let at = 0;
    // 25 kB every 100 ms: 250 kB/s, 800 ms in all, past the 300 ms hard limit.
    const step = setInterval(() => {
      res.write(body.subarray(at, (at += 25_000)));
      if (at >= body.length) {
        clearInterval(step);
        res.end();
      }
    }, 100);
    res.on('close', () => clearInterval(step));
  });
  const r = remote(t, srv.url, { deadlineMs: 300, timeoutMs: 1000 });
  t.same(await r.get('/cas/x'), body, 'read whole');
  t.equal(r.breaker.trips, 0);
});

// A request the breaker aborts when another's timeout opens it is skipped, not failed: with no
// retry left to check the breaker, it came out as SPLITCACHE_REMOTE_HTTP ("circuit breaker
// opened"), an error told to the build and counted as one, where it was the breaker's skip.
t.test('with no retries, a request the opening breaker aborts is skipped (BREAKER_OPEN), not an error', async (t) => {
  const srv = await answering(t, () => undefined); // never answers
  const r = remote(t, srv.url, { retries: 0, timeoutMs: 800 });
  const first = codeOf(r.get('/ac/0'));
  await new Promise((res) => setTimeout(res, 300));
  const second = codeOf(r.get('/ac/1'));
  t.same([await first, await second], ['SPLITCACHE_REMOTE_TIMEOUT', 'SPLITCACHE_REMOTE_BREAKER_OPEN']);
});

// docs/REMOTE.md: a proxy that adds Content-Encoding on the fly is undone first. A record is no
// gzip member of itself, as a blob's body may be: left encoded, every record was refused as
// malformed, and three in a row opened the breaker.
const KEY = '0123456789abcdef0123456789abcdef';
const SET = sealAc({ v: 1, kind: 'inputs', key: KEY, crateName: 'demo', inputs: ['src/lib.rs'], envDeps: [] }, undefined);

function recordCache(t: Test, url: string, signingKey?: string) {
  const c = new RemoteCache({ url, timeoutMs: 3000, retries: 0, breakerThreshold: 3, breakerCooldownMs: 60_000, compression: 'none', ...(signingKey ? { signingKey } : {}) });
  t.teardown(() => c.close());
  return c;
}

t.test('a record a proxy sent with Content-Encoding gzip or br is read', async (t) => {
  for (const [enc, body] of [['gzip', gzipSync(SET)], ['br', brotliCompressSync(SET)]] as const) {
    const srv = await answering(t, (_req, res) => res.writeHead(200, { 'content-encoding': enc, 'content-length': body.length }).end(body));
    t.same((await recordCache(t, srv.url).getInputSet(KEY))?.inputs, ['src/lib.rs'], enc);
  }
});

// 1 GiB of zeros is a few hundred bytes of brotli: decoded without a bound, one answer made the
// daemon allocate a gigabyte (64 MiB here).
t.test('a br body that expands past the cap is refused as it expands', async (t) => {
  const bomb = brotliCompressSync(Buffer.alloc(64 * 2 ** 20), { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } });
  const srv = await answering(t, (_req, res) => res.writeHead(200, { 'content-encoding': 'br', 'content-length': bomb.length }).end(bomb));
  const err = await recordCache(t, srv.url).getInputSet(KEY).then(() => undefined, (e: { code?: string; message?: string }) => e);
  t.equal(err?.code, 'SPLITCACHE_REMOTE_TOO_LARGE');
  t.match(err?.message, /Content-Encoding br expands over the 16 MiB limit/);
});

// Records that can't be read open the breaker at three in a row (remoteCache.ts readRecord), not
// three in a daemon's life: a server with an old writer's odd record among sound ones was skipped
// for good measure, its hits lost, when the count was not reset by a record read well.
t.test('unreadable records open the breaker only three in a row: one read well between starts the count again', async (t) => {
  const srv = await answering(t, (req, res) => {
    const body = req.url?.endsWith(KEY) ? SET : Buffer.from([0xc1, 0xc1]);
    res.writeHead(200, { 'content-length': body.length }).end(body);
  });
  const c = recordCache(t, srv.url);
  const other = 'f'.repeat(32);
  for (let i = 0; i < 4; i++) {
    t.equal(await codeOf(c.getInputSet(other)), 'SPLITCACHE_REMOTE_RECORD');
    t.equal(await codeOf(c.getInputSet(other)), 'SPLITCACHE_REMOTE_RECORD');
    t.equal(await codeOf(c.getInputSet(KEY)), 'ok');
  }
  t.equal(c.http.breaker.trips, 0, 'never three in a row: the breaker stays closed');
  for (let i = 0; i < 3; i++) await codeOf(c.getInputSet(other));
  t.equal(c.http.breaker.trips, 1, 'three in a row open it');
});

// A 404 (a miss: the build's new crates) is no record read well: counted as one, it started the count
// again, and a server that sent garbage for every record it had was never skipped while misses came between.
t.test('a 404 between unreadable records does not start the count again', async (t) => {
  const missing = 'e'.repeat(32);
  const srv = await answering(t, (req, res) => {
    if (req.url?.endsWith(missing)) return res.writeHead(404, { 'content-length': 0 }).end();
    res.writeHead(200, { 'content-length': 2 }).end(Buffer.from([0xc1, 0xc1]));
  });
  const c = recordCache(t, srv.url);
  for (let i = 0; i < 3; i++) {
    t.equal(await codeOf(c.getInputSet('f'.repeat(32))), 'SPLITCACHE_REMOTE_RECORD');
    if (i < 2) t.equal(await c.getInputSet(missing), undefined, 'a miss between');
  }
  t.equal(c.http.breaker.trips, 1, 'three unreadable with only misses between open it');
});

// A record signed with another key is the reader's setting (a key rotation half done), never the
// server's fault: counted as unreadable, three such opened the breaker and the reader's lookups
// were skipped with the records it could read.
t.test('records signed with another key, however many in a row, leave the breaker closed', async (t) => {
  const signed = sealAc({ v: 1, kind: 'inputs', key: KEY, crateName: 'demo', inputs: ['src/lib.rs'], envDeps: [] }, 'old key');
  const srv = await answering(t, (_req, res) => res.writeHead(200, { 'content-length': signed.length }).end(signed));
  const c = recordCache(t, srv.url, 'new key');
  for (let i = 0; i < 4; i++) t.equal(await codeOf(c.getInputSet(KEY)), 'SPLITCACHE_REMOTE_SIGNATURE');
  t.equal(c.http.breaker.trips, 0);
});
