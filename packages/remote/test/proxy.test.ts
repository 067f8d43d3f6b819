import t from 'tap';
import type { Test } from 'tap';
import { createServer } from 'node:http';
import { connect, createServer as createTcpServer, type Socket } from 'node:net';
import { HttpRemote } from '../src/index.js';
import { proxyFor } from '../src/proxyFor.js';

// A remote behind a proxy (a CI runner in a company network): the proxy settings of the
// environment are honoured as curl and sccache's client honour them (proxyFor.ts).

t.test('proxyFor reads the environment as curl does', async (t) => {
  const https = new URL('https://cache.example.com:8443/sc');
  const http = new URL('http://10.1.2.3/sc');
  t.equal(proxyFor(https, {}), undefined, 'no proxy set: none');
  t.equal(proxyFor(https, { HTTP_PROXY: 'http://p:3128' }), undefined, 'an https URL does not take HTTP_PROXY');
  t.equal(proxyFor(https, { HTTPS_PROXY: 'http://p:3128' }), 'http://p:3128', 'it takes HTTPS_PROXY');
  t.equal(proxyFor(https, { https_proxy: 'http://lower:1', HTTPS_PROXY: 'http://upper:2' }), 'http://lower:1', 'the lower-case name first');
  t.equal(proxyFor(http, { http_proxy: 'p:3128' }), 'http://p:3128', 'a proxy given without its scheme is http');
  for (const no of ['*', 'example.com', '.example.com', '*.example.com', 'cache.example.com:8443', 'other, cache.example.com']) {
    t.equal(proxyFor(https, { HTTPS_PROXY: 'http://p:3128', NO_PROXY: no }), undefined, `NO_PROXY=${no} excludes it`);
  }
  for (const no of ['ample.com', 'cache.example.com:443', 'example.org']) {
    t.equal(proxyFor(https, { HTTPS_PROXY: 'http://p:3128', no_proxy: no }), 'http://p:3128', `no_proxy=${no} does not`);
  }
  t.equal(proxyFor(http, { HTTP_PROXY: 'http://p:3128', NO_PROXY: '10.1.2.3' }), undefined, 'an address in NO_PROXY');
  t.equal(proxyFor(new URL('http://[::1]:9/'), { HTTP_PROXY: 'http://p:3128', NO_PROXY: '::1' }), undefined, 'an IPv6 address in NO_PROXY');
});

/** A forward proxy on loopback (CONNECT tunnels, as undici's proxy agent asks); the targets it was asked for. */
async function proxy(t: Test) {
  const asked: string[] = [];
  const sockets = new Set<Socket>();
  const s = createServer();
  s.on('connect', (req, client: Socket, head: Buffer) => {
    asked.push(req.url ?? '');
    const [host, port] = (req.url ?? '').split(':');
    const up = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      up.write(head);
      up.pipe(client).pipe(up);
    });
    for (const c of [client, up]) {
      sockets.add(c);
      c.on('error', () => c.destroy());
    }
  });
  await new Promise<void>((res) => s.listen(0, '127.0.0.1', () => res()));
  t.teardown(() => {
    for (const c of sockets) c.destroy();
    return new Promise<void>((res) => s.close(() => res()));
  });
  return { url: `http://127.0.0.1:${(s.address() as { port: number }).port}`, asked };
}

/** A plain server on loopback that answers every GET with `hello`. */
async function origin(t: Test) {
  const s = createTcpServer();
  const http = createServer((req, res) => res.writeHead(200, { 'content-length': 5 }).end('hello'));
  s.on('connection', (c) => http.emit('connection', c));
  await new Promise<void>((res) => s.listen(0, '127.0.0.1', () => res()));
  t.teardown(() => {
    http.closeAllConnections();
    return new Promise<void>((res) => s.close(() => res()));
  });
  return `http://127.0.0.1:${(s.address() as { port: number }).port}/base`;
}

t.test('a remote is reached through HTTP_PROXY, and directly where NO_PROXY names it', async (t) => {
  const p = await proxy(t);
  const url = await origin(t);
  const port = new URL(url).port;
  const remote = (env: NodeJS.ProcessEnv) => {
    const c = new HttpRemote({ url, timeoutMs: 2000, retries: 0, breakerThreshold: 3, breakerCooldownMs: 60_000, env });
    t.teardown(() => c.close());
    return c;
  };
  const through = await remote({ HTTP_PROXY: p.url }).get('/cas/x');
  t.equal(through?.toString(), 'hello', 'the body comes through the proxy');
  t.same(p.asked, [`127.0.0.1:${port}`], 'which was asked for the remote');
  const direct = await remote({ HTTP_PROXY: p.url, NO_PROXY: '127.0.0.1' }).get('/cas/x');
  t.equal(direct?.toString(), 'hello', 'with NO_PROXY naming it, the body comes straight');
  t.equal(p.asked.length, 1, 'and the proxy was not asked');
});
