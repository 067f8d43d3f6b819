import { createWriteStream, type WriteStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * One line per request, written once its response has ended or its connection closed:
 *
 *   2026-12-06T02:50:01.123Z 10.0.0.7 ci-runner PUT /cas/<digest> 201 0 1048576 12ms
 *
 * the time the request came, the client's address (read then: a closed socket has none), the token's
 * name (`-` before a token was accepted; on an open server, the client's address), method, path,
 * status (`000` when none was sent: the client went first), bytes of response body sent
 * (`bodyBytes`: counted as written, see countBody), bytes of request body as its Content-Length
 * declared them, milliseconds, and `aborted` when the response never finished (the client went
 * away, a timeout cut it). The token itself is never written. Fields a client chose (method,
 * path) are cut to 200 characters, and anything outside printable ASCII, and % itself, is written
 * as the %XX of its bytes: one request is always one line of space-separated fields. A request
 * node's parser refuses gets a line of its own (refusedLine).
 */
export function accessLine(req: IncomingMessage, res: ServerResponse, who: string | undefined, startedAt: number, address: string | undefined, bodyBytes: number): string {
  const received = req.method === 'PUT' ? Number(req.headers['content-length'] ?? 0) || 0 : 0;
  const fields = [
    new Date(startedAt).toISOString(),
    address ?? '-',
    who === undefined ? '-' : clean(who),
    clean(req.method ?? '-'),
    clean(req.url ?? '-'),
    res.headersSent ? String(res.statusCode) : '000',
    String(bodyBytes),
    String(received),
    `${Date.now() - startedAt}ms`,
  ];
  if (!res.writableFinished) fields.push('aborted');
  return fields.join(' ');
}

/**
 * What a connection whose request node's parser refused is answered (the status node itself
 * would send), and its access log line: no method, path or name, as nothing of the request was
 * taken, and `refused:<code>` last (HPE_INVALID_METHOD, HPE_HEADER_OVERFLOW, ERR_HTTP_REQUEST_TIMEOUT
 * for headers slower than the server's headers timeout...). `000` when nothing could be sent.
 */
export function refusedLine(code: string | undefined, status: number | undefined, address: string | undefined): string {
  return [new Date().toISOString(), address ?? '-', '-', '-', '-', status === undefined ? '000' : String(status), '0', '0', '0ms', `refused:${clean(code ?? 'error')}`].join(' ');
}

/** The status node answers a request its parser refused with `code`, as node's own default does. */
export function refusedStatus(code: string | undefined): { status: number; text: string } {
  if (code === 'HPE_HEADER_OVERFLOW') return { status: 431, text: 'Request Header Fields Too Large' };
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return { status: 408, text: 'Request Timeout' };
  return { status: 400, text: 'Bad Request' };
}

/**
 * Counts the body bytes written to `res` from now on (a HEAD's none: node sends no body for it).
 * The server sets its headers through writeHead(), whose headers getHeader() does not return, so
 * Content-Length could not be read back: every line said 0 bytes sent (a review's finding).
 */
export function countBody(req: IncomingMessage, res: ServerResponse): () => number {
  let n = 0;
  const count = (chunk: unknown, encoding: unknown) => {
    if (req.method === 'HEAD' || chunk === undefined || chunk === null || typeof chunk === 'function') return;
    n += typeof chunk === 'string' ? Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8') : (chunk as Uint8Array).byteLength;
  };
  const { write, end } = res;
  res.write = function (this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
    count(chunk, rest[0]);
    return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
  } as typeof res.write;
  res.end = function (this: ServerResponse, chunk?: unknown, ...rest: unknown[]) {
    count(chunk, rest[0]);
    return (end as (...a: unknown[]) => ServerResponse).call(this, chunk, ...rest);
  } as typeof res.end;
  return () => n;
}

function clean(s: string): string {
  const cut = s.length > 200 ? `${s.slice(0, 200)}...` : s;
  // Everything but printable ASCII, and % itself, as the %XX of its UTF-8 bytes.
  return cut.replace(/[^\x21-\x24\x26-\x7e]/gu, (c) => [...Buffer.from(c)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('')) || '-';
}

/**
 * An access log file, appended to, that `reopen()` opens again at its path: after logrotate has
 * moved it away (SIGHUP to `splitcache serve`, as nginx takes USR1). A line that can't be written
 * (a full disk) is dropped, with one warning until a line is written again; it never fails a
 * request.
 */
export class AccessLogFile {
  private out: WriteStream;
  private failing = false;

  constructor(private readonly path: string, private readonly warn: (line: string) => void) {
    this.out = this.open();
  }

  write(line: string): void {
    // A stream that failed is done for; the next line opens the file again. After a failure, the
    // next line starts on a line of its own: a line cut off by a full disk left its first part, and
    // the next was glued to it (a review's finding).
    if (this.out.destroyed) this.out = this.open();
    this.out.write(`${this.failing ? '\n' : ''}${line}\n`, (err) => {
      if (err && !this.failing) this.warn(`access log ${this.path}: ${err.message}; lines are dropped until it can be written`);
      this.failing = Boolean(err);
    });
  }

  reopen(): void {
    const old = this.out;
    this.out = this.open();
    old.end();
  }

  close(): Promise<void> {
    return new Promise((res) => this.out.end(() => res()));
  }

  private open(): WriteStream {
    const s = createWriteStream(this.path, { flags: 'a' });
    // Errors reach write()'s callback too; this keeps one with no write pending from being thrown.
    s.on('error', (err) => {
      if (!this.failing) this.warn(`access log ${this.path}: ${err.message}`);
      this.failing = true;
    });
    return s;
  }
}
