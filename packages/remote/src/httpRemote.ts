import { Pool, ProxyAgent, type Dispatcher } from 'undici';
import { basicAuthorization, proxyAuthorization, proxyFor } from './proxyFor.js';
import { SplitcacheError } from '@splitcache/errors';
import { acceptCoded, ContentEncodingError, decodeContent } from './contentEncoding.js';
import { BodyLimitError, MIN_BODY_RATE, readBody, sizeText } from './bodyReader.js';
import { CircuitBreaker } from './circuitBreaker.js';
import { isTlsRecord, tlsProbe } from './answersInTls.js';

export interface HttpRemoteOptions {
  /** Base URL; `{base}/cas/…` and `{base}/ac/…` are requested under it. */
  url: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /**
   * Connect, response-headers and body-idle timeout, each (ms). A body must
   * also have arrived within this, plus 1 s per 100 kB received, from its
   * headers (bodyReader.ts).
   */
  timeoutMs: number;
  /** Extra attempts for GET/HEAD after a connection error or a 5xx. */
  retries: number;
  /** Consecutive failed requests that open the breaker (a timeout opens it at once). */
  breakerThreshold: number;
  breakerCooldownMs: number;
  /** Keep-alive connections to the server. */
  connections?: number;
  /**
   * Hard limit from a request's start to its response's headers (ms), time
   * queued for a connection included; a PUT gets 1 s more per 100 kB.
   */
  deadlineMs?: number;
  /** Largest response body a GET accepts unless it names its own (bytes). */
  maxBodyBytes?: number;
  /** Where the proxy settings are read (proxyFor.ts); the process's environment unless given. */
  env?: NodeJS.ProcessEnv;
}

interface Response {
  status: number;
  /** A GET's body as its `accept` made it (undefined for HEAD, PUT and a 404). */
  body?: unknown;
}

/** What a GET's caller makes of its body: its check (a digest, an envelope), which throws to refuse it. */
export type Accept<T> = (body: Buffer) => T | Promise<T>;

/** Why an in-flight request was aborted when the breaker opened. */
const BREAKER_ABORT = new Error('circuit breaker opened');
/** undici's own timeouts, each SPLITCACHE_REMOTE_TIMEOUT, by what the message says. */
const TIMEOUTS: Record<string, string> = {
  UND_ERR_CONNECT_TIMEOUT: 'no connection within',
  UND_ERR_HEADERS_TIMEOUT: 'no response headers within',
  UND_ERR_BODY_TIMEOUT: 'no body bytes for',
};
/** What undici's codes for a connection's faults mean, said beside the code (a bare `UND_ERR_SOCKET` named no cause). */
const SOCKET_FAULTS: Record<string, string> = {
  UND_ERR_SOCKET: 'the connection closed before the answer was whole',
  ECONNRESET: 'the remote reset the connection',
  ECONNREFUSED: 'nothing listens there',
  EPIPE: 'the remote closed the connection while the request was sent',
  // A host name that does not resolve (a typo) was its code alone, an https URL for a plain http
  // server OpenSSL's text (`…:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:…`).
  ENOTFOUND: 'the host name has no address: a typo, or a name only another network knows',
  EAI_AGAIN: 'the host name could not be looked up now: no DNS server answered',
  ERR_SSL_WRONG_VERSION_NUMBER: 'the server did not answer in TLS: an http server, named with https:// in the URL?',
};
/** The largest body a GET takes by default, and what node can hold in one Buffer here. */
const MAX_BODY = 2 ** 31 - 1;
/** A body dropped unread (a 404's, a PUT's answer) is drained up to this, to keep the connection. */
const MAX_DRAIN = 64 * 1024;

/** The abort reason when a request's hard limit passes before its headers. */
class Deadline extends Error {}

/**
 * The HTTP side of the remote backend: GET, HEAD and PUT over one keep-alive
 * pool, with timeouts, bounded retries with full jitter on the idempotent
 * methods, and a circuit breaker. Every failure is a SplitcacheError
 * (SPLITCACHE_REMOTE_HTTP, _TIMEOUT, _TOO_LARGE, _AUTH or _BREAKER_OPEN); a
 * 404 is `undefined` / `false`, never an error.
 */
export class HttpRemote {
  readonly breaker: CircuitBreaker;
  /** A keep-alive pool to the remote's origin, or the proxy agent that reaches it (proxyFor.ts). */
  private readonly pool: Dispatcher;
  private readonly origin: string;
  private readonly via: string = '';
  /** `via` where a forward proxy, not the remote, may have given an answer (an http remote's). */
  private readonly forwarded: string = '';
  private readonly basePath: string;
  private readonly auth: string | undefined;
  private readonly inflight = new Set<AbortController>();
  /** Whether the server speaks TLS, asked at most once a minute (spokeTls). */
  private tlsProbe?: () => Promise<boolean>;

  constructor(private readonly o: HttpRemoteOptions) {
    const u = new URL(o.url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') {
      throw new SplitcacheError('SPLITCACHE_CONFIG', `remote URL ${o.url} is not http(s)`);
    }
    this.basePath = u.pathname.replace(/\/+$/, '');
    this.auth = o.token ? `Bearer ${o.token}` : u.username ? basicAuthorization(u) : undefined;
    const options = {
      connections: o.connections ?? 16,
      connectTimeout: o.timeoutMs,
      headersTimeout: o.timeoutMs,
      bodyTimeout: o.timeoutMs,
      keepAliveTimeout: 10_000,
    };
    this.origin = u.origin;
    const proxy = proxyFor(u, o.env ?? process.env);
    // An http remote is asked through the proxy as curl asks it, a GET of the absolute URL: a
    // CONNECT tunnel to any port but 443 is what a stock squid refuses (a helper's 0 hits).
    // The client that talks to the proxy itself (its CONNECT) gets the same timeouts: with undici's
    // own (10 s, 300 s) a proxy that took the connection and never answered held each lookup for
    // 5 minutes, past every limit of ours, since a request's abort does not reach a pending
    // CONNECT (a review's repro: a 1 s build took 5 min 2 s).
    // The same for the pool that asks the proxy for an http remote's absolute URLs (`factory`).
    // The pool for an http remote's URLs is made with no options of ours: it gets them here, or it
    // had no bound on its connections and its own keep-alive (a review's finding). A connector
    // undici builds is given our connect timeout by `proxyTls`/`requestTls` (a Pool takes none
    // with a connector): a proxy that dropped the connection held each lookup for 10 s.
    const timed = (origin: URL | string, o: object) => new Pool(origin, { ...o, ...options });
    const tls = { timeout: options.connectTimeout };
    const token = proxy ? proxyAuthorization(proxy) : undefined;
    this.pool = proxy ? new ProxyAgent({ ...options, uri: proxy, ...(token ? { token } : {}), proxyTunnel: false, clientFactory: timed, factory: timed, proxyTls: tls, requestTls: tls }) : new Pool(u.origin, options);
    // Named in a connection's fault (its credentials left out): a dead proxy read as a dead remote.
    if (proxy) {
      const p = new URL(proxy);
      this.via = ` (through the proxy ${p.protocol}//${p.host})`;
      // An http remote's requests are the proxy's to answer (no tunnel): its own 403 or 502 came
      // as the remote's, and a 403 said to check the token.
      if (u.protocol === 'http:' && p.protocol === 'http:') this.forwarded = this.via;
    }
    this.breaker = new CircuitBreaker(o.breakerThreshold, o.breakerCooldownMs);
    // Requests already waiting on a server that just timed out would each wait
    // out their own timeout: abort them, so the build pays the budget once.
    this.breaker.onOpen(() => {
      for (const c of this.inflight) c.abort(BREAKER_ABORT);
    });
  }

  /**
   * The body, or undefined on 404. A body over `maxBytes` (by its
   * Content-Length, or as it streams) is refused at once and not retried:
   * SPLITCACHE_REMOTE_TOO_LARGE.
   */
  async get(path: string, maxBytes?: number): Promise<Buffer | undefined>;
  /**
   * What `accept` makes of the body, or undefined on 404. Where a `Content-Encoding` came with it,
   * `accept` is given the body as it came first, and only where it refuses that, the body with the
   * coding undone (contentEncoding.ts' acceptCoded). Its refusal is thrown as it is, not retried.
   */
  async get<T>(path: string, maxBytes: number | undefined, accept: Accept<T>): Promise<T | undefined>;
  async get<T>(path: string, maxBytes = this.o.maxBodyBytes ?? MAX_BODY, accept?: Accept<T>): Promise<T | Buffer | undefined> {
    const r = await this.send('GET', path, undefined, Math.min(maxBytes, MAX_BODY), accept);
    return r.status === 404 ? undefined : (r.body as T | Buffer);
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

  private async send(method: 'GET' | 'HEAD' | 'PUT', path: string, body?: Uint8Array, maxBytes = MAX_BODY, accept?: Accept<unknown>): Promise<Response> {
    if (!this.breaker.allow()) {
      throw this.breakerOpen(`remote skipped for ${Math.ceil(this.breaker.retryInMs / 1000)} s after failures`);
    }
    const attempts = method === 'PUT' ? 1 : 1 + this.o.retries;
    let last: SplitcacheError | undefined;
    for (let i = 0; i < attempts; i++) {
      if (i > 0) {
        // Full jitter: a random wait up to 50 ms × 2^attempt, so runners don't retry in step; at most
        // 2 s, or a lookup with many retries waited minutes for a server that failed each (11: 65 s).
        await new Promise((res) => setTimeout(res, Math.random() * Math.min(50 * 2 ** i, 2_000)));
        if (this.breaker.retryInMs > 0) throw this.breakerOpen(`remote failing; retry of ${method} ${path} skipped`);
      }
      const r = await this.once(method, path, body, maxBytes, accept);
      if ('status' in r) {
        this.breaker.success();
        return r;
      }
      last = r.error;
      if (r.kind === 'aborted') throw r.error;
      if (r.kind === 'unwritten') {
        this.breaker.answered();
        throw r.error;
      }
      if (r.kind === 'final') {
        this.breaker.success(); // the server answered: it is up, the request was refused
        throw r.error;
      }
      if (r.kind === 'timeout') {
        this.breaker.failure('timeout', r.error);
        throw r.error;
      }
      if (r.kind === 'refused') {
        // Sent more than any such body holds, a TLS server asked in plain HTTP, or a coding that can't be undone: asking again gets the same. Held against the server.
        this.breaker.failure('error', r.error);
        throw r.error;
      }
    }
    this.breaker.failure('error', last);
    throw last!;
  }

  /**
   * A request the open breaker refuses or aborts: `text`, then ` (the last: <code>)` of the fault
   * that opened it as far as it is known, which is its cause (remoteTier.ts records the code).
   */
  private breakerOpen(text: string, orElse?: unknown): SplitcacheError {
    const cause = this.breaker.lastCause;
    const last = cause instanceof SplitcacheError ? ` (the last: ${cause.code})` : '';
    return new SplitcacheError('SPLITCACHE_REMOTE_BREAKER_OPEN', `${text}${last}`, { cause: cause ?? orElse });
  }

  /**
   * One attempt. Failures are returned, classified: retry-able, timeout,
   * final (4xx), refused (a body over its cap, a TLS server's
   * answer to plain HTTP, a Content-Encoding it can't undo) or aborted.
   */
  private async once(
    method: 'GET' | 'HEAD' | 'PUT',
    path: string,
    body: Uint8Array | undefined,
    maxBytes: number,
    accept: Accept<unknown> | undefined,
  ): Promise<Response | { kind: 'retry' | 'timeout' | 'final' | 'refused' | 'aborted' | 'unwritten'; error: SplitcacheError }> {
    const ctl = new AbortController();
    const limit = Math.round((this.o.deadlineMs ?? 120_000) + (body ? (body.length / MIN_BODY_RATE) * 1000 : 0));
    const deadline = setTimeout(() => ctl.abort(new Deadline(`no response headers within the ${limit} ms hard limit per request`)), limit);
    this.inflight.add(ctl);
    const what = `${method} ${this.basePath}${path}`;
    try {
      const headers: Record<string, string> = { 'user-agent': 'splitcache/0.1' };
      if (this.auth) headers.authorization = this.auth;
      if (body) {
        headers['content-type'] = 'application/octet-stream';
        headers['content-length'] = String(body.length);
      }
      const res = await this.pool.request({ origin: this.origin, method, path: this.basePath + path, headers, body, signal: ctl.signal });
      // From here the body's own limits apply (bodyReader.ts): size, and time by the bytes received.
      clearTimeout(deadline);
      const status = res.statusCode;
      const declared = res.headers['content-length'] === undefined ? NaN : Number(res.headers['content-length']);
      if (status === 404 || method === 'HEAD' || method === 'PUT' || status >= 300) {
        await readBody(res.body, { maxBytes: MAX_DRAIN, graceMs: this.o.timeoutMs, keep: false });
      } else if (declared > maxBytes) {
        // Refused by its Content-Length: not a byte of it is read.
        res.body.on('error', () => undefined).destroy(); // its RequestAbortedError, unheard, would end the daemon
        return { kind: 'refused', error: tooLarge(what, `Content-Length ${declared} is over the ${sizeText(maxBytes)} limit`) };
      }
      if (status === 404 && method !== 'PUT') return { status };
      if (status === 401 || status === 403) {
        // A write refused to a token that may read: a reader's token on a runner left in read-write mode.
        const hint = method === 'PUT' && status === 403 ? '; a token that may only read wants SPLITCACHE_REMOTE_MODE=read-only' : '';
        const proxyToo = this.forwarded ? ", or the proxy's rules" : '';
        return { kind: 'final', error: new SplitcacheError('SPLITCACHE_REMOTE_AUTH', `${what}: ${status} (check SPLITCACHE_REMOTE_TOKEN, or the user and password in SPLITCACHE_REMOTE's URL${hint}${proxyToo})${this.forwarded}`) };
      }
      if (status === 413 && body) {
        // The server's own limit on a body's size: sent again, the same body is refused again.
        return { kind: 'final', error: tooLarge(what, `HTTP 413, the server takes no body of ${body.length} bytes (raise its limit: nginx's client_max_body_size, splitcache serve's --max-body)`) };
      }
      // A server out of space (507) refuses a write, and still serves reads: not held against it, or
      // the breaker it opened skipped every lookup of the writers too (0 hits where readers had 17).
      if (status === 507 && method === 'PUT') {
        return { kind: 'final', error: new SplitcacheError('SPLITCACHE_REMOTE_FULL', `${what}: 507, the server's storage is full (free space there, or give splitcache serve a --max-size)`) };
      }
      // Nor is a write the server answered with a 5xx: nginx answers 500 to a PUT into a root its worker
      // may not write, and serves every GET. Held against it, three such PUTs opened the breaker and a
      // writer's lookups were skipped (6 remote hits where a reader had 13; a helper's repro). Neither a
      // failure nor a success (but as the half-open probe: CircuitBreaker.answered): a server whose
      // every answer is a 5xx still opens it by its reads. The upload stays queued, and the queue
      // waits before it tries again (uploadQueue.ts).
      if (method === 'PUT' && (status >= 500 || status === 429)) {
        return { kind: 'unwritten', error: httpError(what, status, status === 429 ? undefined : 'the server could not store it: may it write its root, and has it disk space?', this.forwarded) };
      }
      if (status >= 500 || status === 429) return { kind: 'retry', error: httpError(what, status, undefined, this.forwarded) };
      // A redirect (a CDN, a presigned URL) read as a bare `HTTP 302`: every lookup a miss, and no word of why.
      const to = status < 400 && res.headers.location ? ` to ${String(res.headers.location).slice(0, 200)}` : '';
      if (status === 400 && (await this.spokeTls(undefined))) return { kind: 'refused', error: this.tlsError(what) };
      if (status >= 300) return { kind: 'final', error: httpError(what, status, status < 400 ? `a redirect${to}, which is not followed: SPLITCACHE_REMOTE must name the server itself` : undefined, this.forwarded) };
      if (method !== 'GET') return { status };
      const data = await readBody(res.body, { maxBytes, graceMs: this.o.timeoutMs, keep: true });
      if (Number.isFinite(declared) && declared !== data.length) return { kind: 'retry', error: httpError(what, status, 'truncated body') };
      // A proxy in front of a plain file server may compress on the fly; undici's request() doesn't undo it.
      // A proxy may as well label a body it left plain: the caller's check of the body as it came decides first.
      // A coding it can't undo is refused, not asked again: the same answer would come (contentEncoding.ts).
      const enc = String(res.headers['content-encoding'] ?? '');
      try {
        // Without a check, the coding is undone as the header says.
        return { status, body: accept ? await acceptCoded(data, enc, maxBytes, accept) : enc ? await decodeContent(data, enc, maxBytes) : data };
      } catch (err) {
        // The server answered, and the caller's check refused what it sent: its error, as it is.
        if (!(err instanceof ContentEncodingError)) return { kind: 'final', error: err as SplitcacheError };
        if (err.tooLarge) return { kind: 'refused', error: tooLarge(what, `Content-Encoding ${enc} expands over the ${sizeText(maxBytes)} limit`) };
        return { kind: 'refused', error: new SplitcacheError('SPLITCACHE_REMOTE_HTTP', `${what}: ${err.message}${this.forwarded}`) };
      }
    } catch (err) {
      const e = err as { code?: string; message?: string };
      if (ctl.signal.aborted && ctl.signal.reason === BREAKER_ABORT) {
        return { kind: 'aborted', error: this.breakerOpen(`${what}: aborted, remote is failing`, err) };
      }
      // Each timeout names the limit that fired, with its value.
      if (ctl.signal.aborted && ctl.signal.reason instanceof Deadline) {
        return { kind: 'timeout', error: new SplitcacheError('SPLITCACHE_REMOTE_TIMEOUT', `${what}: ${ctl.signal.reason.message}`, { cause: err }) };
      }
      if (err instanceof BodyLimitError) {
        return err.limit === 'rate'
          ? { kind: 'timeout', error: new SplitcacheError('SPLITCACHE_REMOTE_TIMEOUT', `${what}: ${err.message}`, { cause: err }) }
          : { kind: 'refused', error: tooLarge(what, err.message) };
      }
      const timeout = TIMEOUTS[e.code ?? ''];
      if (timeout) {
        return { kind: 'timeout', error: new SplitcacheError('SPLITCACHE_REMOTE_TIMEOUT', `${what}: ${e.code}: ${timeout} ${this.o.timeoutMs} ms (SPLITCACHE_REMOTE_TIMEOUT)${this.where()}`, { cause: err }) };
      }
      // A request undici refuses to send (a header it can't carry): sent again, it is refused again.
      // ...but a proxy's 407 to an http remote's request comes as one too: a fault of the way there, counted as one.
      if (e.code === 'UND_ERR_INVALID_ARG' && !/^Proxy Authentication Required/.test(e.message ?? '')) {
        return { kind: 'final', error: new SplitcacheError('SPLITCACHE_REMOTE_HTTP', `${what}: ${e.code}: ${e.message ?? ''}`, { cause: err }) };
      }
      if (await this.spokeTls(err)) return { kind: 'refused', error: this.tlsError(what, err) };
      return { kind: 'retry', error: new SplitcacheError('SPLITCACHE_REMOTE_HTTP', `${what}: ${faultText(e, err)}${this.where()}`, { cause: err }) };
    } finally {
      clearTimeout(deadline);
      this.inflight.delete(ctl);
    }
  }

  /**
   * Whether a request that failed went to a TLS server named with http:// in the URL: the bytes it
   * sent back begin a TLS record, or, where it closed the connection with none (`UND_ERR_SOCKET`)
   * or answered 400 (`err` undefined), a TLS handshake with it completes (answersInTls.ts): asked
   * only after such a failure, at most once a minute (tlsProbe). The line said `UND_ERR_SOCKET` or
   * `HTTP 400`, and named no cause.
   */
  private async spokeTls(err: unknown): Promise<boolean> {
    if (!this.origin.startsWith('http:') || this.via) return false;
    const e = err as { code?: string; data?: unknown; socket?: { bytesRead?: number } } | undefined;
    if (e?.data !== undefined) return isTlsRecord(e.data);
    if (e !== undefined && !(e.code === 'UND_ERR_SOCKET' && e.socket?.bytesRead === 0)) return false;
    return (this.tlsProbe ??= tlsProbe(this.origin, this.o.timeoutMs))();
  }

  /** A TLS server's failure of a plain request: not asked again (it fails the same), and held against the server. */
  private tlsError(what: string, cause?: unknown): SplitcacheError {
    return new SplitcacheError('SPLITCACHE_REMOTE_HTTP', `${what}: the server at ${this.origin} answers in TLS (SPLITCACHE_REMOTE must name it with https://)`, { cause });
  }

  /**
   * Where a connection's fault was met: the proxy, or the remote's origin (no user or password).
   * A line of the path alone (`GET /cache/ac/…: ECONNREFUSED`) named no host (an error-message audit's find).
   */
  private where(): string {
    return this.via || ` (at ${this.origin})`;
  }
}

function tooLarge(what: string, detail: string): SplitcacheError {
  return new SplitcacheError('SPLITCACHE_REMOTE_TOO_LARGE', `${what}: ${detail}`);
}

function httpError(what: string, status: number, detail?: string, via = ''): SplitcacheError {
  return new SplitcacheError('SPLITCACHE_REMOTE_HTTP', `${what}: HTTP ${status}${detail ? ` (${detail})` : ''}${via}`);
}

/**
 * A connection's fault as a line can say it: the code, and what it means where the code alone
 * says little. A certificate the client can't trust, or a proxy's refusal, was its code alone
 * (`UNABLE_TO_VERIFY_LEAF_SIGNATURE`, `UND_ERR_ABORTED`), which named neither (a helper's finding).
 */
function faultText(e: { code?: string; message?: string }, err: unknown): string {
  const said = SOCKET_FAULTS[e.code ?? ''];
  if (said) return `${e.code} (${said})`;
  const message = (e.message ?? '').trim();
  if (/^Proxy (response \(\d+\)|Authentication Required)/.test(message)) return `the proxy refused to pass the request on (${message.replace(/ when HTTP Tunneling$/, '')})`;
  // An issuer the client doesn't know is what a private CA gives; an expired certificate or one of another host is not helped by one.
  if (/^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT)$/.test(e.code ?? '')) {
    return `${e.code}: ${message} (the remote's TLS certificate; one signed by a private CA needs NODE_EXTRA_CA_CERTS naming it)`;
  }
  if (/CERT|^ERR_TLS_/.test(e.code ?? '')) return `${e.code}: ${message} (the remote's TLS certificate)`;
  if (e.code && message && !message.includes(e.code)) return `${e.code}: ${message}`;
  return e.code ?? (message || String(err));
}
