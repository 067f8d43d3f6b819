/**
 * After its first `graceMs`, a response body must keep arriving at this rate
 * on average (bytes per second): the allowance a PUT gets, 1 s per 100 kB.
 * A link slower than this (0.8 Mbit/s) costs more time than the cache saves.
 */
export const MIN_BODY_RATE = 100_000;

/** Why a body was cut off: over its size cap, or arriving too slowly. */
export class BodyLimitError extends Error {
  constructor(
    readonly limit: 'size' | 'rate',
    message: string,
  ) {
    super(message);
  }
}

export interface BodyLimits {
  /** More bytes than this is BodyLimitError('size'), at once: the rest is never read. */
  maxBytes: number;
  /** The time the body gets before it must show progress (the remote timeout, ms). */
  graceMs: number;
  /** false: read and drop the bytes (a 404's or a PUT's answer), and stop quietly at maxBytes. */
  keep: boolean;
}

type Body = AsyncIterable<Buffer> & { destroy(err?: Error): unknown; on(event: 'error', fn: () => void): unknown };

/**
 * Reads a response body within two limits, so a broken or hostile server can
 * cost neither memory nor much time:
 *
 * - size: never more than `maxBytes` are held; one byte more and the stream
 *   is destroyed (the connection with it).
 * - rate: the whole body must have arrived within `graceMs` + 1 s per
 *   MIN_BODY_RATE bytes received, counted from the response's headers. A
 *   small record (well under 100 kB) thus gets about `graceMs` in all; a
 *   large blob any time as long as it keeps coming at ≥ 100 kB/s; a server
 *   that trickles a byte at a time is cut off `graceMs` after its headers
 *   (undici's body timeout alone never fires: every byte resets it).
 */
export async function readBody(body: Body, o: BodyLimits): Promise<Buffer> {
  // Destroyed here, the stream emits 'error' (undici's RequestAbortedError at least) after the
  // loop below has let go of it: unheard, that error would end the daemon.
  body.on('error', () => undefined);
  const started = Date.now();
  const chunks: Buffer[] = [];
  let got = 0;
  const allowedMs = () => o.graceMs + (got / MIN_BODY_RATE) * 1000;
  let timer: NodeJS.Timeout | undefined;
  const watch = () => {
    const left = allowedMs() - (Date.now() - started);
    if (left > 0) {
      timer = setTimeout(watch, left);
      return;
    }
    const ms = Date.now() - started;
    body.destroy(
      new BodyLimitError('rate', `body too slow: ${got} bytes in ${ms} ms (allowed: SPLITCACHE_REMOTE_TIMEOUT ${o.graceMs} ms, then at least ${MIN_BODY_RATE / 1000} kB/s)`),
    );
  };
  timer = setTimeout(watch, o.graceMs);
  try {
    for await (const c of body) {
      got += c.length;
      if (got > o.maxBytes) {
        if (!o.keep) {
          body.destroy();
          break;
        }
        const err = new BodyLimitError('size', `body over the ${sizeText(o.maxBytes)} limit (${got} bytes read, then cut off)`);
        body.destroy(err);
        throw err;
      }
      if (o.keep) chunks.push(c);
    }
  } finally {
    clearTimeout(timer);
  }
  if (!o.keep) return Buffer.alloc(0);
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, got);
}

/** 16777216 → "16 MiB"; other sizes in bytes. */
export function sizeText(n: number): string {
  return n >= 1 << 20 && n % (1 << 20) === 0 ? `${n / (1 << 20)} MiB` : `${n} bytes`;
}
