import { promisify } from 'node:util';
import { brotliDecompress } from 'node:zlib';
import { Pool } from 'undici';
import { SplitcacheError } from '@splitcache/errors';
import { gunzipSized } from './blobBody.js';
import { CircuitBreaker } from './circuitBreaker.js';

const brotliAsync = promisify(brotliDecompress);

export interface HttpRemoteOptions {
  /** Base URL; `{base}/cas/…` and `{base}/ac/…` are requested under it. */
  url: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Connect, response-headers and body-idle timeout, each (ms). */
  timeoutMs: number;
  /** Extra attempts for GET/HEAD after a connection error or a 5xx. */
  retries: number;
  /** Consecutive failed requests that open the breaker (a timeout opens it at once). */
  breakerThreshold: number;
  breakerCooldownMs: number;
  /** Keep-alive connections to the server. */
  connections?: number;
  /** Hard limit on one request, body transfer included (ms); a PUT gets 1 s more per 100 kB. */
  deadlineMs?: number;
  /** Largest response body accepted (bytes). */
  maxBodyBytes?: number;
}

interface Response {
  status: number;
  body?: Buffer;
}

/** Why an in-flight request was aborted when the breaker opened. */
const BREAKER_ABORT = new Error('circuit breaker opened');
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/**
 * The HTTP side of the remote backend: GET, HEAD and PUT over one keep-alive
 * pool, with timeouts, bounded retries with full jitter on the idempotent
 * methods, and a circuit breaker. Every failure is a SplitcacheError
 * (SPLITCACHE_REMOTE_HTTP, _TIMEOUT, _AUTH or _BREAKER_OPEN); a 404 is
 * `undefined` / `false`, never an error.
 */
export class HttpRemote {
  readonly breaker: CircuitBreaker;
  private readonly pool: Pool;
  private readonly basePath: string;
  private readonly auth: string | undefined;
  private readonly inflight = new Set<AbortController>();

  constructor(private readonly o: HttpRemoteOptions) {
    const u = new URL(o.url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') {
      throw new SplitcacheError('SPLITCACHE_CONFIG', `remote URL ${o.url} is not http(s)`);
    }
    this.basePath = u.pathname.replace(/\/+$/, '');
    this.auth = o.token
      ? `Bearer ${o.token}`
      : u.username
        ? `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`
        : undefined;
    this.pool = new Pool(u.origin, {
      connections: o.connections ?? 8,
      connectTimeout: o.timeoutMs,
      headersTimeout: o.timeoutMs,
      bodyTimeout: o.timeoutMs,
      keepAliveTimeout: 10_000,
      maxResponseSize: o.maxBodyBytes ?? 2 ** 31 - 1,
    });
    this.breaker = new CircuitBreaker(o.breakerThreshold, o.breakerCooldownMs);
    // Requests already waiting on a server that just timed out would each wait
    // out their own timeout: abort them, so the build pays the budget once.
    this.breaker.onOpen(() => {
      for (const c of this.inflight) c.abort(BREAKER_ABORT);
    });
  }

  /** The body, or undefined on 404. */
  async get(path: string): Promise<Buffer | undefined> {
    const r = await this.send('GET', path);
    return r.status === 404 ? undefined : r.body;
  }

  async head(path: string): Promise<boolean> {
    return (await this.send('HEAD', path)).status !== 404;
  }

  async put(path: string, body: Uint8Array): Promise<void> {
    await this.send('PUT', path, body);
  }

  async close(): Promise<void> {
    for (const c of this.inflight) c.abort(BREAKER_ABORT);
    await this.pool.destroy().catch(() => undefined);
  }

  private async send(method: 'GET' | 'HEAD' | 'PUT', path: string, body?: Uint8Array): Promise<Response> {
    if (!this.breaker.allow()) {
      throw new SplitcacheError('SPLITCACHE_REMOTE_BREAKER_OPEN', `remote skipped for ${Math.ceil(this.breaker.retryInMs / 1000)} s after failures`);
    }
    const attempts = method === 'PUT' ? 1 : 1 + this.o.retries;
    let last: SplitcacheError | undefined;
    for (let i = 0; i < attempts; i++) {
      if (i > 0) {
        // Full jitter: a random wait up to 50 ms × 2^attempt, so runners don't retry in step.
        await new Promise((res) => setTimeout(res, Math.random() * 50 * 2 ** i));
        if (this.breaker.retryInMs > 0) throw new SplitcacheError('SPLITCACHE_REMOTE_BREAKER_OPEN', `remote failing; retry of ${method} ${path} skipped`);
      }
      const r = await this.once(method, path, body);
      if ('status' in r) {
        this.breaker.success();
        return r;
      }
      last = r.error;
      if (r.kind === 'aborted') throw r.error;
      if (r.kind === 'final') {
        this.breaker.success(); // the server answered: it is up, the request was refused
        throw r.error;
      }
      if (r.kind === 'timeout') {
        this.breaker.failure('timeout');
        throw r.error;
      }
    }
    this.breaker.failure('error');
    throw last!;
  }

  /** One attempt. Failures are returned, classified: retry-able, timeout, final (4xx) or aborted. */
  private async once(
    method: 'GET' | 'HEAD' | 'PUT',
    path: string,
    body: Uint8Array | undefined,
  ): Promise<Response | { kind: 'retry' | 'timeout' | 'final' | 'aborted'; error: SplitcacheError }> {
    const ctl = new AbortController();
    const limit = (this.o.deadlineMs ?? 120_000) + (body ? body.length / 100 : 0);
    const deadline = setTimeout(() => ctl.abort(new Error('deadline')), limit);
    this.inflight.add(ctl);
    const what = `${method} ${this.basePath}${path}`;
    try {
      const headers: Record<string, string> = { 'user-agent': 'splitcache/0.1' };
      if (this.auth) headers.authorization = this.auth;
      if (body) {
        headers['content-type'] = 'application/octet-stream';
        headers['content-length'] = String(body.length);
      }
      const res = await this.pool.request({ method, path: this.basePath + path, headers, body, signal: ctl.signal });
      const status = res.statusCode;
      if (status === 404 || method === 'HEAD' || method === 'PUT' || status >= 300) {
        await res.body.dump().catch(() => undefined);
      }
      if (status === 404 && method !== 'PUT') return { status };
      if (status === 401 || status === 403) {
        return { kind: 'final', error: new SplitcacheError('SPLITCACHE_REMOTE_AUTH', `${what}: ${status} (check SPLITCACHE_REMOTE_TOKEN)`) };
      }
      if (status >= 500 || status === 429) return { kind: 'retry', error: httpError(what, status) };
      if (status >= 300) return { kind: 'final', error: httpError(what, status) };
      if (method !== 'GET') return { status };
      let data: Buffer = Buffer.from(await res.body.arrayBuffer());
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared !== data.length) return { kind: 'retry', error: httpError(what, status, 'truncated body') };
      // A proxy in front of a plain file server may compress on the fly; undici's request() doesn't undo it.
      const enc = String(res.headers['content-encoding'] ?? '');
      if (enc === 'gzip') data = await gunzipSized(data);
      else if (enc === 'br') data = await brotliAsync(data);
      return { status, body: data };
    } catch (err) {
      const e = err as { code?: string; message?: string };
      if (ctl.signal.aborted && ctl.signal.reason === BREAKER_ABORT) {
        return { kind: 'aborted', error: new SplitcacheError('SPLITCACHE_REMOTE_BREAKER_OPEN', `${what}: aborted, remote is failing`, { cause: err }) };
      }
      if (ctl.signal.aborted || TIMEOUT_CODES.has(e.code ?? '')) {
        return { kind: 'timeout', error: new SplitcacheError('SPLITCACHE_REMOTE_TIMEOUT', `${what}: ${e.code ?? 'deadline'} after ${this.o.timeoutMs} ms`, { cause: err }) };
      }
      return { kind: 'retry', error: new SplitcacheError('SPLITCACHE_REMOTE_HTTP', `${what}: ${e.code ?? e.message ?? String(err)}`, { cause: err }) };
    } finally {
      clearTimeout(deadline);
      this.inflight.delete(ctl);
    }
  }
}

function httpError(what: string, status: number, detail?: string): SplitcacheError {
  return new SplitcacheError('SPLITCACHE_REMOTE_HTTP', `${what}: HTTP ${status}${detail ? ` (${detail})` : ''}`);
}
