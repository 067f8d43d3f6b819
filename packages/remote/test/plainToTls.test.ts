import t from 'tap';
import type { Test } from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { createServer as createHttpsServer } from 'node:https';
import { connect, createServer as createNetServer, type Server, type Socket } from 'node:net';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HttpRemote } from '../src/index.js';
import { listenLoopback, tmp } from './serverHelpers.js';

// An http:// URL for a TLS server said undici's `UND_ERR_SOCKET (the connection closed before the
// answer was whole)` (node's https server, which closes without a word), or `HTTP 400` (nginx's
// answer, `The plain HTTP request was sent to HTTPS port`), and named no cause. The line now says
// the server answers in TLS, and that the URL wants https://; the request is not tried again.

const TLS_LINE = (port: number) => new RegExp(`^GET /base/cas/x: the server at http://127\\.0\\.0\\.1:${port} answers in TLS \\(SPLITCACHE_REMOTE must name it with https://\\)$`);

function client(t: Test, port: number) {
  const c = new HttpRemote({ url: `http://127.0.0.1:${port}/base`, timeoutMs: 2000, retries: 2, breakerThreshold: 3, breakerCooldownMs: 60_000 });
  t.teardown(() => c.close());
  return c;
}

/** A self-signed key and certificate for 127.0.0.1, in a temp dir: their paths. */
function certificate(): { key: string; cert: string } {
  const dir = tmp('sc-tls-');
  const key = join(dir, 'k.pem');
  const cert = join(dir, 'c.pem');
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
  if (made.status !== 0) throw new Error(`openssl req failed: ${made.stderr.toString()}`);
  return { key, cert };
}

/** Counts the connections `s` takes. */
function counted(s: Server): () => number {
  let n = 0;
  s.on('connection', () => n++);
  return () => n;
}

t.test("node's https server (closes a plain request's connection with nothing sent): the line says it answers in TLS", async (t) => {
  const { key, cert } = certificate();
  const s = createHttpsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (_req, res) => res.end('x'));
  const connections = counted(s);
  const port = await listenLoopback(t, s as never);
  await t.rejects(client(t, port).get('/cas/x'), { code: 'SPLITCACHE_REMOTE_HTTP', message: TLS_LINE(port) });
  t.equal(connections(), 2, 'the request, and one TLS handshake that asked whether it speaks TLS: not retried (retries: 2)');
});

t.test('a TLS server that answers a plain request with an alert record: told from those bytes, with no handshake', async (t) => {
  const s = createNetServer((c) => c.once('data', () => c.end(Buffer.from([0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46]))));
  const connections = counted(s);
  const port = await listenLoopback(t, s as never);
  await t.rejects(client(t, port).get('/cas/x'), { code: 'SPLITCACHE_REMOTE_HTTP', message: TLS_LINE(port) });
  t.equal(connections(), 1, 'one connection: the request alone');
});

t.test('a plain server that closes the connection unanswered: still UND_ERR_SOCKET, not TLS', async (t) => {
  const s = createNetServer((c) => c.once('data', () => c.destroy()));
  const port = await listenLoopback(t, s as never);
  await t.rejects(client(t, port).get('/cas/x'), { code: 'SPLITCACHE_REMOTE_HTTP', message: /^GET \/base\/cas\/x: UND_ERR_SOCKET \(the connection closed before the answer was whole\) \(at http:\/\/127\.0\.0\.1:\d+\)$/ });
});

t.test('a plain server that answers 400: still HTTP 400', async (t) => {
  const s = createNetServer((c) => c.once('data', () => c.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n')));
  const port = await listenLoopback(t, s as never);
  await t.rejects(client(t, port).get('/cas/x'), { code: 'SPLITCACHE_REMOTE_HTTP', message: /^GET \/base\/cas\/x: HTTP 400$/ });
});

/** Whether something takes a TCP connection at `port` on loopback. */
function takes(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = connect(port, '127.0.0.1', () => (s.destroy(), res(true)));
    s.on('error', () => res(false));
  });
}

const nginx = spawnSync('nginx', ['-V'], { encoding: 'utf8' });
const nginxTls = nginx.status === 0 && /--with-http_ssl_module/.test(nginx.stderr + nginx.stdout);
t.test("nginx listening with ssl (answers a plain request 400, `The plain HTTP request was sent to HTTPS port`)", { skip: !nginxTls && 'nginx with the ssl module is not installed' }, async (t) => {
  const { key, cert } = certificate();
  const prefix = tmp('sc-nginx-');
  mkdirSync(join(prefix, 'logs'));
  const free = createNetServer();
  await new Promise<void>((res) => free.listen(0, '127.0.0.1', () => res()));
  const port = (free.address() as { port: number }).port;
  await new Promise<void>((res) => free.close(() => res()));
  const conf = join(prefix, 'nginx.conf');
  writeFileSync(conf, `${process.getuid?.() === 0 ? 'user root;\n' : ''}worker_processes 1;
error_log ${prefix}/logs/error.log warn;
pid ${prefix}/nginx.pid;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${prefix}/body;
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${cert};
    ssl_certificate_key ${key};
    location / { return 200 "x"; }
  }
}
`);
  const proc = spawn('nginx', ['-c', conf, '-p', prefix, '-g', 'daemon off;'], { stdio: 'ignore' });
  t.teardown(() => void proc.kill('SIGKILL'));
  // Up once it takes a TCP connection.
  let up = false;
  for (let i = 0; i < 100 && !up; i++) {
    up = await takes(port);
    if (!up) await new Promise((res) => setTimeout(res, 50));
  }
  t.ok(up, 'nginx listens');
  await t.rejects(client(t, port).get('/cas/x'), { code: 'SPLITCACHE_REMOTE_HTTP', message: TLS_LINE(port) });
});

/** A plain server: `answer` to an HTTP request's first bytes; a TLS handshake is counted and left unanswered, as a server that reads a request line waits for its end. */
async function plainServer(t: Test, answer: (c: Socket) => void) {
  let handshakes = 0;
  const s = createNetServer((c) => {
    c.on('error', () => undefined);
    c.once('data', (first: Buffer) => {
      if (first[0] === 0x16) return void handshakes++;
      answer(c);
    });
  });
  const port = await listenLoopback(t, s as never);
  return { port, handshakes: () => handshakes };
}

// Bounded: a handshake that never gave up (no timer) held the request for good.
t.test('a plain server that answers 400 and says nothing to a TLS handshake: each request says HTTP 400, one handshake asks for all', { timeout: 30_000 }, async (t) => {
  const s = await plainServer(t, (c) => {
    const answer = () => void c.write('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n');
    answer();
    c.on('data', answer);
  });
  const c = client(t, s.port);
  for (const n of [1, 2, 3]) await t.rejects(c.get('/cas/x'), { code: 'SPLITCACHE_REMOTE_HTTP', message: /^GET \/base\/cas\/x: HTTP 400$/ }, `request ${n}: HTTP 400 (the handshake given up)`);
  t.equal(s.handshakes(), 1, 'one handshake asked whether it speaks TLS (before: one a request, each waiting out the timeout)');
});

t.test('a plain server that closes mid-answer: no handshake asked', async (t) => {
  const s = await plainServer(t, (c) => c.end('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nab'));
  await t.rejects(client(t, s.port).get('/cas/x'), { code: 'SPLITCACHE_REMOTE_HTTP' });
  t.equal(s.handshakes(), 0, 'bytes came back: not a TLS server');
});

t.test("through a proxy that closes the request unanswered: the remote is not asked for a handshake, the proxy's fault is said", async (t) => {
  const { key, cert } = certificate();
  const tls = createHttpsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (_req, res) => res.end('x'));
  const reached = counted(tls);
  const port = await listenLoopback(t, tls as never);
  const proxy = createNetServer((c) => c.once('data', () => c.destroy()));
  const proxyPort = await listenLoopback(t, proxy as never);
  const c = new HttpRemote({ url: `http://127.0.0.1:${port}/base`, timeoutMs: 2000, retries: 0, breakerThreshold: 3, breakerCooldownMs: 60_000, env: { HTTP_PROXY: `http://127.0.0.1:${proxyPort}` } });
  t.teardown(() => c.close());
  await t.rejects(c.get('/cas/x'), { code: 'SPLITCACHE_REMOTE_HTTP', message: /^GET \/base\/cas\/x: UND_ERR_SOCKET/ });
  t.equal(reached(), 0, 'the remote itself took no connection (the proxy alone reaches it)');
});
