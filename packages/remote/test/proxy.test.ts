import t from 'tap';
import type { Test } from 'tap';
import { spawn } from 'node:child_process';
import { createServer, request } from 'node:http';
import { connect, createServer as createTcpServer, type Socket } from 'node:net';
import { HttpRemote } from '../src/index.js';
import { proxyAuthorization, proxyFor } from '../src/proxyFor.js';

// A remote behind a proxy (a CI runner in a company network): the proxy settings of the
// environment are honoured as curl and sccache's client honour them (proxyFor.ts).

// Each case has servers of its own; three wait out timeouts (the ones below time themselves against
// a bound of 5 s, over a 1 s timeout): two cases at a time, 12 s one after another, 7 s so.
t.jobs = 2;

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
  t.equal(proxyFor(http, { HTTP_PROXY: 'http://p:3128', NO_PROXY: '10.0.0.0/8' }), undefined, 'a range that holds it');
  t.equal(proxyFor(http, { HTTP_PROXY: 'http://p:3128', NO_PROXY: '10.2.0.0/16' }), 'http://p:3128', 'a range that does not');
  t.equal(proxyFor(new URL('http://[fd00::5]/'), { HTTP_PROXY: 'http://p:3128', NO_PROXY: 'fd00::/8' }), undefined, 'an IPv6 range');
  t.equal(proxyFor(https, { HTTPS_PROXY: 'http://p:3128', no_proxy: '', NO_PROXY: 'example.com' }), undefined, 'an empty no_proxy leaves NO_PROXY its say, as curl does');
  t.throws(() => proxyFor(https, { HTTPS_PROXY: 'socks5h://alice:s3cret@proxy:1080' }), { message: /^HTTPS_PROXY="socks5h:\/\/…@proxy:1080" is not/ }, 'a bad value is shown without its credentials');
  for (const bad of ['not a url at all', 'http://[garbage', 'ftp://p:21']) {
    t.throws(() => proxyFor(https, { HTTPS_PROXY: bad }), { code: 'SPLITCACHE_CONFIG', message: /^HTTPS_PROXY=".*" is not an http\(s\) proxy URL/ }, `${bad}: one line naming the variable`);
  }
  t.equal(proxyFor(new URL('http://[::1]:9/'), { HTTP_PROXY: 'http://p:3128', NO_PROXY: '::1' }), undefined, 'an IPv6 address in NO_PROXY');
  t.equal(proxyFor(https, { ALL_PROXY: 'http://all:1' }), 'http://all:1', 'ALL_PROXY where the scheme has none');
  t.equal(proxyFor(http, { all_proxy: 'all:1', ALL_PROXY: 'http://upper:2' }), 'http://all:1', 'all_proxy first');
  t.equal(proxyFor(https, { HTTPS_PROXY: 'http://p:3128', ALL_PROXY: 'http://all:1' }), 'http://p:3128', "the scheme's own first");
  t.equal(proxyFor(https, { ALL_PROXY: 'http://all:1', NO_PROXY: 'example.com' }), undefined, 'NO_PROXY applies to it');
  for (const socks of ['socks5://127.0.0.1:1080', 'socks5h://h:1', 'SOCKS4A://h:1', 'socks://h:1']) {
    t.equal(proxyFor(https, { ALL_PROXY: socks }), undefined, `ALL_PROXY=${socks}, a SOCKS proxy, is left alone: the remote is reached directly`);
  }
  t.equal(proxyFor(https, { https_proxy: '  ', HTTPS_PROXY: 'http://upper:2' }), 'http://upper:2', 'a blank value is unset');
});

t.test("a proxy URL's credentials are sent as curl sends them", async (t) => {
  const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;
  t.equal(proxyAuthorization('http://p:3128'), undefined, 'none');
  t.equal(proxyAuthorization('http://alice:s%40cret@p:3128'), basic('alice:s@cret'), 'a user and a password, %-decoded');
  t.equal(proxyAuthorization('http://alice@p:3128'), basic('alice:'), 'a user alone (undici sent nothing)');
  t.throws(() => proxyAuthorization('http://al%zzice:pw@p:3128'), { code: 'SPLITCACHE_CONFIG', message: /^the proxy http:\/\/p:3128 has a user name or password that is not valid %-encoding/ }, 'bad %-encoding: one line, no credentials');
});

/**
 * A forward proxy on loopback: plain requests in the absolute form (an http remote, as curl asks
 * through a proxy), CONNECT tunnels (an https one), refused with 403 if `refuseTunnels`. What it
 * was asked for: `GET <url>` or `CONNECT <host:port>`.
 */
async function proxy(t: Test, refuseTunnels = false, answer?: number) {
  const asked: string[] = [];
  const auths: (string | undefined)[] = [];
  const sockets = new Set<Socket>();
  const s = createServer((req, res) => {
    asked.push(`${req.method} ${req.url}`);
    auths.push(req.headers['proxy-authorization']);
    if (answer) return void res.writeHead(answer, { 'content-length': 0 }).end();
    const up = request(req.url!, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode!, answer.headers);
      answer.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  s.on('connect', (req, client: Socket, head: Buffer) => {
    asked.push(`CONNECT ${req.url}`);
    if (refuseTunnels) return void client.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
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
  s.on('connection', (c) => sockets.add(c));
  await new Promise<void>((res) => s.listen(0, '127.0.0.1', () => res()));
  t.teardown(() => {
    for (const c of sockets) c.destroy();
    return new Promise<void>((res) => s.close(() => res()));
  });
  return { url: `http://127.0.0.1:${(s.address() as { port: number }).port}`, asked, auths };
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
  const remote = (env: NodeJS.ProcessEnv) => {
    const c = new HttpRemote({ url, timeoutMs: 2000, retries: 0, breakerThreshold: 3, breakerCooldownMs: 60_000, env });
    t.teardown(() => c.close());
    return c;
  };
  const through = await remote({ HTTP_PROXY: p.url }).get('/cas/x');
  t.equal(through?.toString(), 'hello', 'the body comes through the proxy');
  t.same(p.asked, [`GET ${url}/cas/x`], 'which was asked for it as curl asks, a GET of the absolute URL (a stock squid refuses a CONNECT to any port but 443)');
  const direct = await remote({ HTTP_PROXY: p.url, NO_PROXY: '127.0.0.1' }).get('/cas/x');
  t.equal(direct?.toString(), 'hello', 'with NO_PROXY naming it, the body comes straight');
  t.equal(p.asked.length, 1, 'and the proxy was not asked');
  await remote({ HTTP_PROXY: p.url.replace('//', '//alice@') }).get('/cas/x');
  t.equal(p.auths.at(-1), `Basic ${Buffer.from('alice:').toString('base64')}`, 'a proxy user without a password is sent, as curl sends it');
});

t.test("an http remote's answer that a forward proxy may have given says so", async (t) => {
  for (const [status, code, text] of [[403, 'SPLITCACHE_REMOTE_AUTH', "403 \\(check SPLITCACHE_REMOTE_TOKEN, .*, or the proxy's rules\\)"], [502, 'SPLITCACHE_REMOTE_HTTP', 'HTTP 502']] as const) {
    const p = await proxy(t, false, status);
    const c = new HttpRemote({ url: 'http://127.0.0.1:9/base', timeoutMs: 2000, retries: 0, breakerThreshold: 3, breakerCooldownMs: 60_000, env: { HTTP_PROXY: p.url } });
    t.teardown(() => c.close());
    await t.rejects(c.get('/cas/x'), { code, message: new RegExp(`^GET /base/cas/x: ${text} \\(through the proxy http://127\\.0\\.0\\.1:\\d+\\)$`) }, `a ${status} names the proxy it came through`);
  }
});

t.test('an https remote behind a proxy that refuses the tunnel: a line that says so', async (t) => {
  const p = await proxy(t, true);
  const c = new HttpRemote({ url: 'https://127.0.0.1:9/base', timeoutMs: 2000, retries: 0, breakerThreshold: 3, breakerCooldownMs: 60_000, env: { HTTPS_PROXY: p.url } });
  t.teardown(() => c.close());
  await t.rejects(c.get('/cas/x'), { code: 'SPLITCACHE_REMOTE_HTTP', message: /^GET \/base\/cas\/x: the proxy refused to pass the request on \(Proxy response \(403\) !== 200\) \(through the proxy http:\/\/127\.0\.0\.1:\d+\)$/ }, 'it names the proxy and its answer');
  t.same(p.asked, ['CONNECT 127.0.0.1:9'], 'which was asked for a tunnel');
});

t.test('a dead proxy is named as the proxy, without its credentials', async (t) => {
  const c = new HttpRemote({ url: 'http://127.0.0.1:9/base', timeoutMs: 2000, retries: 0, breakerThreshold: 3, breakerCooldownMs: 60_000, env: { HTTP_PROXY: 'http://user:secret@127.0.0.1:1' } });
  t.teardown(() => c.close());
  const err = await c.get('/cas/x').then(() => undefined, (e: Error) => e);
  t.match(err?.message, /ECONNREFUSED \(nothing listens there\) \(through the proxy http:\/\/127\.0\.0\.1:1\)$/, 'the line says the proxy is what is not there');
  t.notMatch(err?.message, /secret/, 'and not its password');
});

t.test('a proxy that takes the connection and never answers is given up within the timeout', async (t) => {
  const silent = createTcpServer((c) => c.on('error', () => undefined));
  const held = new Set<Socket>();
  silent.on('connection', (c) => held.add(c));
  await new Promise<void>((res) => silent.listen(0, '127.0.0.1', () => res()));
  t.teardown(() => {
    for (const c of held) c.destroy();
    return new Promise<void>((res) => silent.close(() => res()));
  });
  const proxyUrl = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
  for (const url of ['https://127.0.0.1:9/base', 'http://127.0.0.1:9/base']) {
    const c = new HttpRemote({ url, timeoutMs: 1000, retries: 0, breakerThreshold: 3, breakerCooldownMs: 60_000, env: { HTTPS_PROXY: proxyUrl, HTTP_PROXY: proxyUrl } });
    t.teardown(() => c.close());
    const started = Date.now();
    await t.rejects(c.get('/cas/x'), { code: /^SPLITCACHE_REMOTE_(TIMEOUT|HTTP)$/ }, `${url.split(':')[0]}: the lookup fails`);
    const ms = Date.now() - started;
    t.ok(ms < 5_000, `within a few timeouts of 1 s, not undici's 300 s (${ms} ms)`);
  }
});


t.test('a proxy that never takes the connection is given up within the timeout too, and named', async (t) => {
  // A listener that never accepts, its backlog filled: the kernel drops further connections, as a
  // firewalled proxy does (node accepts every connection it is offered, so python holds it).
  const holder = spawn('python3', ['-c', [
    'import socket, time',
    's = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(0)',
    'fill = [socket.socket() for _ in range(3)]',
    '[c.setblocking(False) or c.connect_ex(("127.0.0.1", s.getsockname()[1])) for c in fill]',
    'time.sleep(0.3); print(s.getsockname()[1], flush=True); time.sleep(60)',
  ].join('\n')], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => void holder.kill());
  const port = await new Promise<string>((res) => holder.stdout!.once('data', (d: Buffer) => res(d.toString().trim())));
  for (const url of ['https://127.0.0.1:9/base', 'http://127.0.0.1:9/base']) {
    const c = new HttpRemote({ url, timeoutMs: 1000, retries: 0, breakerThreshold: 3, breakerCooldownMs: 60_000, env: { HTTPS_PROXY: `http://127.0.0.1:${port}`, HTTP_PROXY: `http://127.0.0.1:${port}` } });
    t.teardown(() => c.close());
    const started = Date.now();
    const err = await c.get('/cas/x').then(() => undefined, (e: Error) => e);
    const ms = Date.now() - started;
    t.match(err?.message, /\(through the proxy http:\/\/127\.0\.0\.1:\d+\)$/, `${url.split(':')[0]}: the lookup fails, naming the proxy`);
    t.ok(ms < 5_000, `within a few timeouts of 1 s, not undici's 10 s (${ms} ms)`);
  }
});
