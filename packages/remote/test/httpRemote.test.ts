import t from 'tap';
import type { Test } from 'tap';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { HttpRemote, type HttpRemoteOptions } from '../src/index.js';

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

/** A real HTTP server on loopback whose every answer the test decides; counts requests. */
async function server(t: Test, handler: Handler) {
  let n = 0;
  const sockets = new Set<Socket>();
  const s = createServer((req, res) => handler(req, res, ++n));
  s.on('connection', (c) => {
    sockets.add(c);
    c.on('close', () => sockets.delete(c));
  });
  await new Promise<void>((res) => s.listen(0, '127.0.0.1', () => res()));
  t.teardown(() => {
    for (const c of sockets) c.destroy();
    return new Promise<void>((res) => s.close(() => res()));
  });
  return { url: `http://127.0.0.1:${(s.address() as { port: number }).port}/base`, requests: () => n };
}

function client(t: Test, url: string, o: Partial<HttpRemoteOptions> = {}) {
  const c = new HttpRemote({ url, timeoutMs: 500, retries: 2, breakerThreshold: 3, breakerCooldownMs: 60_000, ...o });
  t.teardown(() => c.close());
  return c;
}

t.test('GET, HEAD and PUT under the base path, with the bearer token and Content-Length', async (t) => {
  const seen: string[] = [];
  const srv = await server(t, (req, res) => {
    seen.push(`${req.method} ${req.url} ${req.headers.authorization} ${req.headers['content-length'] ?? '-'}`);
    if (req.url?.endsWith('missing')) return res.writeHead(404).end();
    req.resume();
    req.on('end', () => res.writeHead(req.method === 'PUT' ? 201 : 200, { 'content-length': 5 }).end(req.method === 'GET' ? 'hello' : undefined));
  });
  const c = client(t, srv.url, { token: 's3cret' });
  t.same(await c.get('/cas/x'), Buffer.from('hello'));
  t.equal(await c.get('/cas/missing'), undefined, '404 is undefined, not an error');
  t.equal(await c.head('/cas/x'), true);
  t.equal(await c.head('/cas/missing'), false);
  await c.put('/ac/y', Buffer.from('abc'));
  t.same(seen, [
    'GET /base/cas/x Bearer s3cret -',
    'GET /base/cas/missing Bearer s3cret -',
    'HEAD /base/cas/x Bearer s3cret -',
    'HEAD /base/cas/missing Bearer s3cret -',
    'PUT /base/ac/y Bearer s3cret 3',
  ]);
});

t.test('a 5xx is retried with jitter, then succeeds', async (t) => {
  const srv = await server(t, (_req, res, n) => (n < 3 ? res.writeHead(503).end() : res.writeHead(200, { 'content-length': 2 }).end('ok')));
  const c = client(t, srv.url);
  t.same(await c.get('/cas/x'), Buffer.from('ok'));
  t.equal(srv.requests(), 3, 'two retries');
  t.equal(c.breaker.trips, 0, 'a request that succeeded in the end is no failure');
});

t.test('repeated failures open the breaker; the server is then left alone', async (t) => {
  const srv = await server(t, (_req, res) => res.writeHead(500).end());
  const c = client(t, srv.url);
  for (let i = 0; i < 3; i++) await t.rejects(c.get('/cas/x'), { code: 'SPLITCACHE_REMOTE_HTTP' });
  t.equal(srv.requests(), 9, 'three requests of three attempts each');
  t.equal(c.breaker.trips, 1, 'the breaker opened');
  await t.rejects(c.get('/cas/x'), { code: 'SPLITCACHE_REMOTE_BREAKER_OPEN' });
  await t.rejects(c.put('/cas/x', Buffer.from('x')), { code: 'SPLITCACHE_REMOTE_BREAKER_OPEN' });
  t.equal(srv.requests(), 9, 'no request reached the server while open');
});

t.test('after the cool-down one probe goes through; its success closes the breaker', async (t) => {
  let healthy = false;
  const srv = await server(t, (_req, res) => (healthy ? res.writeHead(404).end() : res.writeHead(500).end()));
  const c = client(t, srv.url, { breakerThreshold: 1, breakerCooldownMs: 200, retries: 0 });
  await t.rejects(c.head('/cas/x'));
  await t.rejects(c.head('/cas/x'), { code: 'SPLITCACHE_REMOTE_BREAKER_OPEN' });
  await new Promise((r) => setTimeout(r, 250));
  healthy = true;
  t.equal(await c.head('/cas/x'), false, 'the probe');
  t.equal(await c.head('/cas/x'), false, 'closed again');
});

t.test('a stalled server costs one timeout: the breaker opens and aborts the requests waiting with it', async (t) => {
  const srv = await server(t, () => undefined); // accepts, never answers
  const c = client(t, srv.url, { timeoutMs: 1000 });
  const first = c.get('/cas/0');
  await new Promise((r) => setTimeout(r, 700));
  // Sent 700 ms later: on their own they would time out (SPLITCACHE_REMOTE_TIMEOUT) 700 ms after the
  // first. A breaker abort is the only way they end with BREAKER_OPEN. (No wall-clock bound here:
  // on a loaded CI machine the first timer itself fires late.)
  const results = await Promise.allSettled([first, ...[1, 2, 3, 4, 5].map((i) => c.get(`/cas/${i}`))]);
  const codes = results.map((r) => (r.status === 'rejected' ? (r.reason as { code: string }).code : 'ok'));
  t.equal(codes[0], 'SPLITCACHE_REMOTE_TIMEOUT', 'the first one timed out');
  t.ok(codes.slice(1).every((c) => c === 'SPLITCACHE_REMOTE_BREAKER_OPEN'), `the others were aborted: ${codes.join(', ')}`);
  const sent = srv.requests();
  await t.rejects(c.get('/cas/7'), { code: 'SPLITCACHE_REMOTE_BREAKER_OPEN' });
  t.equal(srv.requests(), sent, 'later requests fail at once, without reaching the server');
});

t.test('a truncated body is an error, not data', async (t) => {
  const srv = await server(t, (_req, res) => {
    res.writeHead(200, { 'content-length': 100 });
    res.write(Buffer.alloc(50));
    setTimeout(() => res.socket?.destroy(), 10);
  });
  const c = client(t, srv.url);
  await t.rejects(c.get('/cas/x'), { code: 'SPLITCACHE_REMOTE_HTTP' });
});

t.test('401/403 are auth errors, and are not held against the server', async (t) => {
  const srv = await server(t, (_req, res) => res.writeHead(403).end());
  const c = client(t, srv.url, { breakerThreshold: 1 });
  await t.rejects(c.put('/cas/x', Buffer.from('x')), { code: 'SPLITCACHE_REMOTE_AUTH' });
  await t.rejects(c.get('/cas/x'), { code: 'SPLITCACHE_REMOTE_AUTH' });
  t.equal(c.breaker.trips, 0);
  t.equal(srv.requests(), 2, 'no retries on a refusal');
});

t.test('a dead server (connection refused) opens the breaker quickly', async (t) => {
  const srv = await server(t, () => undefined);
  const url = srv.url.replace(/:\d+/, ':1');
  const c = client(t, url);
  const t0 = Date.now();
  for (let i = 0; i < 3; i++) await t.rejects(c.head('/cas/x'), { code: 'SPLITCACHE_REMOTE_HTTP' });
  await t.rejects(c.head('/cas/x'), { code: 'SPLITCACHE_REMOTE_BREAKER_OPEN' });
  t.ok(Date.now() - t0 < 3000, `${Date.now() - t0} ms`);
});
