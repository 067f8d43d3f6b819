import { createHash, randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { oneLine, SplitcacheError } from '@splitcache/errors';
import { initHash } from '@splitcache/hash';
import { BlobDir, isDiskFull } from '@splitcache/store';
import { decodeEnvelope } from '../acRecord.js';
import { MAX_RECORD_BYTES } from '../remoteCache.js';
import { adoptUnindexed } from './adoptUnindexed.js';
import { evictLru } from './evictLru.js';
import { KeyTurns } from './keyTurns.js';
import { accessLine, countBody, refusedLine, refusedStatus } from './accessLog.js';
import { openStoredBlob } from './openStoredBlob.js';
import { placeBlob } from './placeBlob.js';
import { receiveBlob } from './receiveBlob.js';
import { route } from './route.js';
import { ServerIndex, type Kind } from './serverIndex.js';
import { TokensFile, type TokenInfo } from './tokens.js';

export interface CacheServerOptions {
  /** Holds `index/` (LevelDB) and `cas/` (blob files, the local store's layout). */
  dir: string;
  host: string;
  port: number;
  /** Without tokens the server is open, and may only listen on loopback. */
  tokens?: Map<string, TokenInfo>;
  /** The file `tokens` came from: read again when it changes (TokensFile). */
  tokensFile?: string;
  /** Least recently used items are evicted above this many stored bytes. */
  maxSize?: number;
  /** Largest PUT body accepted (413 above). */
  maxBody?: number;
  /** Slow-loris limits: all headers within this, the whole request within requestTimeoutMs. */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  /**
   * A connection that moves no byte either way for this long is closed (default 60 s, as nginx's
   * send_timeout): a client that never reads a response held its descriptors, and a blob file
   * evicted meanwhile its disk space, for good; one that stops mid-PUT held its key's PUTs for
   * the 300 s of requestTimeoutMs.
   */
  idleTimeoutMs?: number;
  /** How stale an item's last-access time may get before a GET rewrites it (default 60 s). */
  lruGranularityMs?: number;
  log?: (line: string) => void;
  /** Given one line per request once it has ended (accessLog.ts has its fields). */
  accessLog?: (line: string) => void;
}

interface ClientCounts {
  hits: number;
  misses: number;
  puts: number;
}

/** The largest record a client reads (remoteCache.ts): one larger is of no use, and each GET of it holds it whole. */
const MAX_RECORD = MAX_RECORD_BYTES;

/**
 * `splitcache serve`: the team cache server, speaking the protocol in
 * docs/REMOTE.md over node:http. Blobs are files in the local store's layout
 * (BlobDir); records and the LRU order live in a LevelDB index.
 */
export class CacheServer {
  private readonly clients = new Map<string, ClientCounts>();
  /** A key's PUTs and its eviction, one at a time (keyTurns.ts). */
  private readonly turns = new KeyTurns();
  private readonly active = new Set<Promise<void>>();
  /** The token name each request was accepted under, for its access log line. */
  private readonly names = new WeakMap<IncomingMessage, string>();
  private tokens: Map<string, TokenInfo> | undefined;
  /** The table `tokens` was hashed from, and the file that may replace it. */
  private tokensRead: Map<string, TokenInfo> | undefined;
  private readonly tokensFile: TokensFile | undefined;
  private evicting: Promise<void> | undefined;
  private readonly started = Date.now();
  private closing: Promise<void> | undefined;
  /** The answers not yet fully sent: told to close their connection once a stop begins. */
  private readonly responses = new Set<ServerResponse>();

  private constructor(
    private readonly o: CacheServerOptions,
    private readonly http: Server,
    private readonly index: ServerIndex,
    private readonly blobs: BlobDir,
  ) {
    this.tokens = o.tokens && hashed(o.tokens);
    this.tokensRead = o.tokens;
    this.tokensFile = o.tokens && o.tokensFile ? new TokensFile(o.tokensFile, o.tokens, o.log) : undefined;
    // A request node's parser refused: answered as node would answer it, and logged. A client that
    // reset its connection (ECONNRESET: a keep-alive connection it dropped) sent no request.
    if (o.accessLog) {
      http.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
        const answer = socket.writable && socket.bytesWritten === 0 ? refusedStatus(err.code) : undefined;
        if (answer) socket.write(`HTTP/1.1 ${answer.status} ${answer.text}\r\nConnection: close\r\n\r\n`);
        if (err.code !== 'ECONNRESET') o.accessLog!(refusedLine(err.code, answer?.status, socket.remoteAddress));
        socket.destroy();
      });
    }
    http.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (o.accessLog) {
        const [startedAt, address, sent] = [Date.now(), req.socket.remoteAddress, countBody(req, res)];
        res.once('close', () => o.accessLog!(accessLine(req, res, this.names.get(req), startedAt, address, sent())));
      }
      // In flight until the response has left too, so a graceful stop doesn't cut a reply short.
      const sent = new Promise<void>((r) => res.once('close', () => r()));
      // Once a stop has begun, each answer closes its connection (close()).
      if (this.closing) res.setHeader('connection', 'close');
      this.responses.add(res);
      res.once('close', () => this.responses.delete(res));
      const p = this.handle(req, res)
        .catch((err: unknown) => this.fail(req, res, err))
        .then(() => sent);
      this.active.add(p);
      void p.finally(() => this.active.delete(p));
    });
  }

  static async start(o: CacheServerOptions): Promise<CacheServer> {
    if (!o.tokens && !isLoopback(o.host)) {
      throw new SplitcacheError('SPLITCACHE_SERVE_CONFIG', `an open server (no --tokens) may only listen on loopback, not ${o.host}`);
    }
    await initHash();
    const blobs = new BlobDir(join(o.dir, 'cas'));
    await blobs.init().catch((cause: unknown) => {
      const e = cause as NodeJS.ErrnoException;
      throw new SplitcacheError('SPLITCACHE_SERVE_IO', `server dir ${o.dir} cannot be used: ${e.code ?? 'error'} at ${e.path ?? join(o.dir, 'cas')}`, { cause });
    });
    const index = await ServerIndex.open(o.dir, o.lruGranularityMs, o.log);
    // The index's lock is this server's now: what an upload cut off by a kill left in cas/tmp can
    // go (it was never counted, evicted or served, and stayed for good).
    await blobs.init(true);
    const headersTimeout = o.headersTimeoutMs ?? 10_000;
    const http = createServer({
      headersTimeout,
      requestTimeout: o.requestTimeoutMs ?? 300_000,
      connectionsCheckingInterval: Math.min(1000, headersTimeout),
      keepAliveTimeout: 15_000,
    });
    http.timeout = o.idleTimeoutMs ?? 60_000;
    const server = new CacheServer(o, http, index, blobs);
    try {
      await new Promise<void>((res, rej) => {
        http.once('error', rej);
        http.listen(o.port, o.host, () => res());
      });
    } catch (cause) {
      await index.close();
      throw new SplitcacheError('SPLITCACHE_SERVE_CONFIG', `cannot listen on ${o.host}:${o.port}: ${(cause as NodeJS.ErrnoException).code}`, { cause });
    }
    // Blob files a kill left without their index entries, counted in (adoptUnindexed.ts).
    server.adopting = adoptUnindexed(blobs, index, () => server.closing !== undefined, server.started)
      .then((n) => {
        if (n === 0) return;
        o.log?.(`${n} blob file(s) the index lacked (a kill or a power loss between a blob's write and its index entry) counted in`);
        server.evictIfFull();
      })
      .catch((err: unknown) => o.log?.(`cannot look for blob files the index lacks: ${oneLine(err)}`));
    // A store over --max-size (the limit lowered, or a restore) is brought down now (once that walk is done), not at the next PUT.
    server.evictIfFull();
    return server;
  }

  /** The walk of adoptUnindexed(), while it runs (close() waits for it). */
  private adopting: Promise<unknown> | undefined;


  get url(): string {
    const a = this.http.address() as AddressInfo;
    return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
  }

  status() {
    return {
      entries: this.index.totals.entries,
      bytes: this.index.totals.bytes,
      maxSize: Number.isFinite(this.o.maxSize ?? Infinity) ? this.o.maxSize : null,
      uptimeS: Math.round((Date.now() - this.started) / 1000),
      clients: Object.fromEntries(this.clients),
    };
  }

  /**
   * Stops listening, lets in-flight requests (writes included) finish for up to `graceMs`, then closes
   * the index. Their answers say `Connection: close`: without it, a client sent its next request on
   * the kept-alive connection the server was closing, and that request was cut (EPIPE, ECONNRESET:
   * an upload left queued, a lookup retried; a helper's repro, 2-14 a stop under 16 connections),
   * where on a new connection it is refused cleanly.
   */
  close(graceMs = 30_000): Promise<void> {
    this.closing ??= (async () => {
      for (const r of this.responses) if (!r.headersSent) r.setHeader('connection', 'close');
      const closed = new Promise<void>((res) => this.http.close(() => res()));
      this.http.closeIdleConnections();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled([...this.active]), new Promise((res) => (timer = setTimeout(res, graceMs)))]);
      clearTimeout(timer);
      this.http.closeAllConnections();
      await closed;
      await this.adopting;
      await this.evicting;
      await this.index.close();
    })();
    return this.closing;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const who = this.identify(req);
    if (!who) return reply(req, res, 401, 'a valid bearer token is required', { 'www-authenticate': 'Bearer' });
    this.names.set(req, who.name);
    const r = route(req.url);
    if (r.to === 'none') return reply(req, res, 404, 'not found');
    if (r.to === 'bad') return reply(req, res, 400, r.why);
    if (r.to === 'status') {
      if (req.method !== 'GET') return reply(req, res, 405, 'GET only', { allow: 'GET' });
      const body = JSON.stringify(this.status(), null, 2) + '\n';
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
      return;
    }
    const counts = this.counts(who.name);
    if (req.method === 'GET' || req.method === 'HEAD') return this.read(req, res, r.kind, r.key, counts);
    if (req.method !== 'PUT') return reply(req, res, 405, 'GET, HEAD or PUT', { allow: 'GET, HEAD, PUT' });
    if (who.scope !== 'read-write') return reply(req, res, 403, `token ${who.name} may only read`);
    const length = Number(req.headers['content-length']);
    if (req.headers['content-length'] === undefined || !Number.isSafeInteger(length) || length < 0) {
      return reply(req, res, 411, 'Content-Length is required');
    }
    const limit = r.kind === 'a' ? Math.min(MAX_RECORD, this.o.maxBody ?? Infinity) : (this.o.maxBody ?? 1 << 30);
    if (length > limit) return reply(req, res, 413, `body of ${length} bytes exceeds the limit of ${limit}`);
    counts.puts++;
    const id = r.kind + r.key;
    // One change per key at a time, a PUT's or its eviction's (keyTurns.ts). A record is replaced:
    // clients replace only one that fails their own checks (after a key rotation, or over a keyless
    // writer's), as on a plain WebDAV server. Waiting its turn is not idleness: its body waits unread.
    const waits = this.turns.has(id);
    if (waits) req.socket.setTimeout(0);
    await this.turns.run(id, async () => {
      if (waits) req.socket.setTimeout(this.http.timeout);
      // A blob already there is written again from the body, verified: a client PUTs one it has
      // (clients HEAD first) when the copy it got here failed its digest, damaged on this disk,
      // which a 204 that kept it left to fail every reader for good.
      if (r.kind === 'c') await this.putBlob(req, res, r.key, length, Boolean(await this.index.get(r.kind, r.key)));
      else await this.putRecord(req, res, r.key, length);
    });
  }

  private async read(req: IncomingMessage, res: ServerResponse, kind: Kind, key: string, counts: ClientCounts): Promise<void> {
    const item = await this.index.get(kind, key);
    if (item && kind === 'a' && req.method === 'HEAD') {
      // Its size is the item's: the record itself is not read for a HEAD.
      counts.hits++;
      void this.index.touch(kind, key, item).catch(() => undefined);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': item.size }).end();
      return;
    }
    let body: Buffer | undefined;
    if (item && kind === 'a') body = await this.index.record(key);
    // Lost: not there, or what is there is not the blob (openStoredBlob.ts: removed in the key's turn). Any other failure (EMFILE, with every
    // descriptor held by unread GETs) is the request's, a 500: taken for lost, its file stayed, uncounted and never evicted.
    const opened = item && kind === 'c' ? await openStoredBlob(this.blobs, this.index, this.turns, key, this.turns.has(kind + key) ? undefined : item.size, this.o.log) : undefined;
    const file = opened?.fh;
    if (!body && !file) {
      if (item) await this.index.remove(kind, key, item); // a blob file lost behind the index's back (not one a PUT wrote since)
      counts.misses++;
      return reply(req, res, 404, 'not found');
    }
    counts.hits++;
    void this.index.touch(kind, key, item!).catch(() => undefined);
    const size = body ? body.length : opened!.size;
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
    if (req.method === 'HEAD' || body) {
      await file?.close();
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    await pipeline(file!.createReadStream(), res);
  }

  /** Receives a blob, verified; `there`: one is stored already, replaced (reply 204, not 201). */
  private async putBlob(req: IncomingMessage, res: ServerResponse, digest: string, length: number, there: boolean): Promise<void> {
    const tmp = join(this.blobs.tmpDir, `${digest}.${randomBytes(6).toString('hex')}`);
    try {
      const got = await receiveBlob(req, tmp, digest, length);
      if (!got.ok) {
        const [status, why] = got.why === 'digest' ? [422, `body does not hash to ${digest}`] : [400, 'body length differs from Content-Length'];
        return reply(req, res, status, why);
      }
      const dest = this.blobs.pathOf(digest);
      await placeBlob(tmp, dest);
      // The file is this body's now, in whichever form it came: its size replaces one recorded before.
      // One the index refuses (a full disk) is not left behind, uncounted and never evicted, unless
      // it replaced a stored blob, which the index still names.
      await this.index.replace('c', digest, got.size).catch(async (err: unknown) => {
        if (!there) await rm(dest, { force: true });
        throw err;
      });
    } finally {
      await rm(tmp, { force: true });
    }
    reply(req, res, there ? 204 : 201);
    this.evictIfFull();
  }

  private async putRecord(req: IncomingMessage, res: ServerResponse, key: string, length: number): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req as AsyncIterable<Buffer>) {
      size += c.length;
      if (size > length) break;
      chunks.push(c);
    }
    const body = Buffer.concat(chunks);
    if (size !== length) return reply(req, res, 400, 'body length differs from Content-Length');
    if (!decodeEnvelope(body)) return reply(req, res, 422, 'body is not an AC record envelope (msgpack { v: 1, payload, sig })');
    await this.index.replace('a', key, body.length, body);
    reply(req, res, 201);
    this.evictIfFull();
  }

  /** Evicts least recently used items until the store fits in maxSize again; one pass at a time. */
  private evictIfFull(): void {
    const max = this.o.maxSize ?? Infinity;
    if (this.evicting || this.index.totals.bytes <= max) return;
    this.evicting = (async () => {
      // Not during the start's walk: a blob evicted between its stat there and its index check was counted in again, its file gone (adoptEvict.test.ts).
      await this.adopting;
      await evictLru(this.index, this.blobs, this.turns, max);
    })()
      .catch((err: unknown) => this.o.log?.(`eviction failed: ${oneLine(err)}`))
      .finally(() => (this.evicting = undefined));
  }

  private identify(req: IncomingMessage): TokenInfo | undefined {
    const read = this.tokensFile?.current();
    if (read && read !== this.tokensRead) [this.tokens, this.tokensRead] = [hashed(read), read];
    if (!this.tokens) return { name: req.socket.remoteAddress ?? 'unknown', scope: 'read-write' };
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    return m ? this.tokens.get(sha256(m[1]!)) : undefined;
  }

  private counts(name: string): ClientCounts {
    let c = this.clients.get(name);
    if (!c) this.clients.set(name, (c = { hits: 0, misses: 0, puts: 0 }));
    return c;
  }

  /**
   * A request that failed: 507 (the disk full) or 500. `req`'s body may be unread (a PUT refused part
   * way): the reply closes the connection, as reply() does for any reply sent before the body is in.
   * Without `req`, a 507 to a large PUT left the body unread on a keep-alive connection, and the
   * client's next request on it (a lookup) never got its headers: a timeout that opened its breaker.
   */
  private fail(req: IncomingMessage, res: ServerResponse, err: unknown): void {
    const code = (err as NodeJS.ErrnoException).code;
    // A client that hung up mid-transfer (a breaker aborting its requests) is no server fault.
    if (code !== 'ERR_STREAM_PREMATURE_CLOSE' && code !== 'ECONNRESET') this.o.log?.(`request failed: ${oneLine(err)}`);
    if (res.headersSent) res.destroy();
    // ENOSPC from the file system, or inside LevelDB's IO error: 507, as the protocol says.
    else if (isDiskFull(err)) reply(req, res, 507, 'insufficient storage');
    else reply(req, res, 500, 'internal error');
  }
}

/** Ends a response with a short text body. A request body nobody read closes the connection rather than being drained. */
function reply(req: IncomingMessage | undefined, res: ServerResponse, status: number, text = '', headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  const body = text && status !== 204 ? `${text}\n` : '';
  const h: Record<string, string | number> = status === 204 ? { ...headers } : { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body), ...headers };
  if (req && !req.complete && Number(req.headers['content-length'] ?? 0) > 0) h.connection = 'close';
  res.writeHead(status, h).end(req?.method === 'HEAD' ? undefined : body);
  req?.resume();
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** Tokens by their SHA-256, so the lookup time says nothing about a token's bytes. */
function hashed(tokens: Map<string, TokenInfo>): Map<string, TokenInfo> {
  return new Map([...tokens].map(([t, info]) => [sha256(t), info]));
}
