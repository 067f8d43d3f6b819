import { connect } from 'node:tls';

/**
 * Whether what a server sent back to a plain HTTP request is a TLS record: a handshake (0x16) or
 * an alert (0x15) of version 3.x. undici keeps the bytes it could not parse as HTTP (an
 * HTTPParserError's `data`, as latin1 text).
 */
export function isTlsRecord(data: unknown): boolean {
  return typeof data === 'string' && data.length >= 2 && (data.charCodeAt(0) === 0x15 || data.charCodeAt(0) === 0x16) && data.charCodeAt(1) === 0x03;
}

/**
 * Whether the server at `origin` (an http:// URL's) speaks TLS on its port: a TLS handshake
 * with it completes (its certificate is not judged), or it answers one with a TLS alert. Asked
 * only after a plain request failed as a TLS server fails it: closed with not a byte sent (node's
 * https server, a TLS terminator), or a 400 (nginx: `The plain HTTP request was sent to HTTPS
 * port`). Never on the way of a request that works. Settles false within `timeoutMs`.
 */
export function answersInTls(origin: string, timeoutMs: number): Promise<boolean> {
  const u = new URL(origin);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(u.port || 80);
  return new Promise((resolve) => {
    const socket = connect({ host, port, rejectUnauthorized: false, ...(/^[\d.]+$|:/.test(host) ? {} : { servername: host }) });
    const end = (said: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(said);
    };
    const timer = setTimeout(() => end(false), timeoutMs);
    socket.once('secureConnect', () => end(true));
    // OpenSSL names an alert the server sent (`…:tlsv13 alert certificate required:…`): it speaks TLS.
    socket.once('error', (err) => end(/\balert\b/i.test(err.message) && !/wrong version number|packet length too long/i.test(err.message)));
  });
}

/**
 * answersInTls for `origin`, asked at most once each `everyMs`, its answer shared by the requests
 * that fail meanwhile. Asked after each failure, a plain server that answers 400 for a reason of
 * its own (a proxy's rule, a WebDAV server's refusal) and waits on a handshake's bytes for the end
 * of a request line (as a server that reads a line does) made each such request wait out the whole
 * timeout, 3 s a lookup (a review's repro).
 */
export function tlsProbe(origin: string, timeoutMs: number, everyMs = 60_000): () => Promise<boolean> {
  let last: { at: number; said: Promise<boolean> } | undefined;
  return () => {
    const now = Date.now();
    if (!last || now - last.at >= everyMs) last = { at: now, said: answersInTls(origin, timeoutMs) };
    return last.said;
  };
}
