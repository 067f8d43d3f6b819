/** Helpers for the remote-cache tests: runners, `splitcache serve`, nginx and an in-process HTTP store with faults. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import type { Test } from 'tap';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { BIN, copyFixture, lookedUp, run, Store, tempDir, type AuditLine } from './helpers.js';

/**
 * A CI runner: its own store, and the remote settings every call of its daemon gets.
 * Its remote timeout is 30 s, not the 3 s default: one stall of a loaded test machine
 * (both cores busy with the other test file's cargo) would otherwise open the breaker
 * and turn the rest of a build's remote hits into misses. The timeout tests set their own.
 */
export class Runner extends Store {
  constructor(private readonly remoteEnv: NodeJS.ProcessEnv) {
    super();
  }
  override env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return super.env({ SPLITCACHE_REMOTE_TIMEOUT: '30', ...this.remoteEnv, ...extra });
  }
}

/**
 * A producer and a reader on one fresh `splitcache serve`: runner A builds `wsA` and flushes its
 * uploads; runner B gets a copy of that checkout at another path, without its target dir, for
 * the test to change before B builds it. Everything is stopped at the test's end; `url` is the
 * server's, for more runners.
 */
export async function producerAndReader(t: Test, wsA: string): Promise<{ a: Runner; b: Runner; wsB: string; url: string }> {
  const serve = await startServe();
  t.teardown(() => serve.stop());
  const a = new Runner({ SPLITCACHE_REMOTE: serve.url, SPLITCACHE_PRODUCER: 'a' });
  const b = new Runner({ SPLITCACHE_REMOTE: serve.url, SPLITCACHE_PRODUCER: 'b' });
  t.teardown(() => a.stop());
  t.teardown(() => b.stop());
  const built = await a.cargo(wsA, ['build']);
  if (built.code !== 0) throw new Error(`runner A's build failed: ${built.stderr}`);
  await a.splitcache(['server', 'stop']);
  const wsB = join(tempDir('reader'), 'checkout');
  mkdirSync(wsB);
  await run('cp', ['-a', `${wsA}/.`, wsB]);
  rmSync(join(wsB, 'target'), { recursive: true });
  return { a, b, wsB, url: serve.url };
}

/** Share of cacheable calls (hits and misses) that were remote hits, and what wasn't. */
export function remoteHitRate(events: AuditLine[]): { rate: number; cacheable: number; notRemote: string[] } {
  const cacheable = lookedUp(events);
  const remote = cacheable.filter((e) => e.outcome === 'hit' && e.origin === 'remote');
  const notRemote = cacheable.filter((e) => !(e.outcome === 'hit' && e.origin === 'remote')).map((e) => `${e.crate}:${e.crateType}:${e.outcome}`);
  return { rate: cacheable.length ? remote.length / cacheable.length : 0, cacheable: cacheable.length, notRemote };
}

export interface Serve {
  url: string;
  dir: string;
  proc: ChildProcess;
  /** What it wrote on stderr so far (its log). */
  log(): string;
  status(token?: string): Promise<{ entries: number; bytes: number; clients: Record<string, { hits: number; misses: number; puts: number }> }>;
  stop(): Promise<number | null>;
}

/** Starts `splitcache serve` on a free loopback port and waits for the URL it prints. */
export async function startServe(args: string[] = [], dir = tempDir('serve'), env: NodeJS.ProcessEnv = process.env): Promise<Serve> {
  const proc = spawn(BIN, ['serve', '--dir', dir, '--listen', '127.0.0.1:0', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const url = await new Promise<string>((res, rej) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) res(m[1]!);
    });
    proc.on('exit', (code) => rej(new Error(`splitcache serve exited ${code}: ${err}`)));
  });
  const exited = new Promise<number | null>((res) => proc.on('exit', (code) => res(code)));
  return {
    url,
    dir,
    proc,
    log: () => err,
    async status(token?: string) {
      const r = await fetch(`${url}/status`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      return (await r.json()) as Awaited<ReturnType<Serve['status']>>;
    },
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      return exited;
    },
  };
}

/** A free TCP port on loopback (for servers that can't be asked to pick one, like nginx). */
export function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createNetServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

/** True if an nginx with the WebDAV module (PUT) is installed. */
export function nginxWithDav(): boolean {
  const r = spawnSync('nginx', ['-V'], { encoding: 'utf8' });
  return r.status === 0 && /--with-http_dav_module/.test(r.stderr + r.stdout);
}

/**
 * Starts nginx in the foreground with the WebDAV configuration of
 * docs/REMOTE.md, in a temp prefix, on a free port. The cache lives under
 * `/cache/`, so the base URL has a path, as it often does behind a proxy.
 * `maxBody`: its client_max_body_size (docs/REMOTE.md has 1g; nginx's own default is 1m).
 */
export async function startNginx(o: { maxBody?: string } = {}): Promise<{ url: string; files: string; stop(): Promise<void> }> {
  const prefix = tempDir('nginx');
  for (const d of ['data/cache', 'logs', 'body']) mkdirSync(join(prefix, d), { recursive: true });
  const port = await freePort();
  const conf = join(prefix, 'nginx.conf');
  writeFileSync(
    conf,
    `${process.getuid?.() === 0 ? 'user root;\n' : ''}worker_processes 1;
error_log ${prefix}/logs/error.log warn;
pid ${prefix}/nginx.pid;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${prefix}/body;
  server {
    listen 127.0.0.1:${port};
    root ${prefix}/data;
    location /cache/ {
      dav_methods PUT;
      create_full_put_path on;
      dav_access user:rw group:r all:r;
      client_max_body_size ${o.maxBody ?? '1g'};
    }
  }
}
`,
  );
  const proc = spawn('nginx', ['-c', conf, '-p', prefix, '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const url = `http://127.0.0.1:${port}/cache`;
  for (let i = 0; ; i++) {
    if (proc.exitCode !== null) throw new Error(`nginx exited ${proc.exitCode}: ${err}`);
    const ok = await fetch(`${url}/cas/00000000000000000000000000000000`).then((r) => r.status === 404, () => false);
    if (ok) break;
    if (i > 100) throw new Error(`nginx did not answer on ${url}: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const exited = new Promise<void>((res) => proc.on('exit', () => res()));
  return {
    url,
    /** Where nginx keeps the cache's files (`cas/<digest>`, `ac/<key>`), as a cron job would see them. */
    files: join(prefix, 'data', 'cache'),
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGQUIT');
      await exited;
    },
  };
}

export type Fault = 'none' | 'status-500' | 'stall' | 'truncate-blobs' | 'wrong-blobs' | 'die' | 'huge-body' | 'drip';

/**
 * A minimal remote store in the test process: PUT keeps a body, GET and HEAD
 * serve it back (what any WebDAV server does), plus the faults the cache must
 * survive. Every request is logged.
 */
export class MemoryRemote {
  readonly items: Map<string, Buffer>;
  readonly log: { method: string; path: string }[] = [];
  fault: Fault = 'none';
  /** With 'die': the server goes away (every connection cut) on this request. */
  dieAt = 10;
  /** Every PUT under `holdUnder` waits for this before it is answered (uploads held under way while a test acts). */
  holdPuts: Promise<void> | undefined;
  holdUnder = '/';
  /** Every GET is answered this many ms late (a remote far away). */
  delayGets = 0;
  private readonly sockets = new Set<Socket>();
  private constructor(private readonly server: Server, items: Map<string, Buffer>) {
    this.items = items;
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res));
  }

  static async start(seed: Map<string, Buffer> = new Map()): Promise<MemoryRemote> {
    const server = createServer();
    const m = new MemoryRemote(server, new Map(seed));
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
    return m;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  count(method: string, prefix = '/'): number {
    return this.log.filter((l) => l.method === method && l.path.startsWith(prefix)).length;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((res) => this.server.close(() => res()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = req.url ?? '/';
    this.log.push({ method: req.method ?? '', path });
    if (req.method === 'PUT' && this.holdPuts && path.startsWith(this.holdUnder)) await this.holdPuts;
    if (req.method === 'GET' && this.delayGets) await new Promise((res) => setTimeout(res, this.delayGets));
    if (this.fault === 'die' && this.log.length >= this.dieAt) {
      void this.close();
      return;
    }
    if (this.fault === 'stall') return; // never answers; the client's timeout must fire
    if (this.fault === 'huge-body') {
      // Every answer claims 10 GB and streams zeros for as long as the client reads.
      res.writeHead(200, { 'content-length': '10000000000' });
      const zeros = Buffer.alloc(64 * 1024);
      const pump = () => {
        while (!res.destroyed) if (!res.write(zeros)) return void res.once('drain', pump);
      };
      pump();
      return;
    }
    if (this.fault === 'drip') {
      // Headers, then a byte a second, forever.
      res.writeHead(200, { 'content-length': '1000000' });
      res.write('x');
      const drip = setInterval(() => res.write('x'), 1000);
      res.on('close', () => clearInterval(drip));
      return;
    }
    if (this.fault === 'status-500') {
      res.writeHead(500, { 'content-length': 0 }).end();
      return;
    }
    if (req.method === 'PUT') {
      const chunks: Buffer[] = [];
      for await (const c of req as AsyncIterable<Buffer>) chunks.push(c);
      const had = this.items.has(path);
      if (!had) this.items.set(path, Buffer.concat(chunks));
      res.writeHead(had ? 204 : 201).end();
      return;
    }
    let body = this.items.get(path);
    if (!body) {
      res.writeHead(404, { 'content-length': 0 }).end();
      return;
    }
    const blob = path.startsWith('/cas/');
    if (blob && this.fault === 'wrong-blobs') body = Buffer.from(body.map((b) => b ^ 0x5a));
    res.writeHead(200, { 'content-length': body.length });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    if (blob && this.fault === 'truncate-blobs') {
      res.write(body.subarray(0, body.length >> 1));
      setTimeout(() => res.socket?.destroy(), 20);
      return;
    }
    res.end(body);
  }
}

/**
 * Fills an in-process remote from one cold build of the fixture by "runner A"
 * (env adds e.g. a signing key), then takes the server down. Returns what it
 * stored and what the built binary prints, for tests that replay it under faults.
 */
export async function seedRemote(build: string[], env: NodeJS.ProcessEnv = {}): Promise<{ items: Map<string, Buffer>; expected: string }> {
  const mem = await MemoryRemote.start();
  const a = new Runner({ SPLITCACHE_REMOTE: mem.url, SPLITCACHE_PRODUCER: 'runner-a', ...env });
  const ws = copyFixture();
  const r = await a.cargo(ws, build);
  if (r.code !== 0) throw new Error(`seed build failed: ${r.stderr}`);
  await a.splitcache(['server', 'stop']);
  await mem.close();
  return { items: mem.items, expected: (await run(join(ws, 'target/debug/fx-app'), [])).stdout };
}
