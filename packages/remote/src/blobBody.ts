import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { digestBytes, type Digest } from '@splitcache/hash';
import { SplitcacheError } from '@splitcache/errors';
import { pageHint } from './pageHint.js';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** Below this a blob is sent as is: the gzip header and a round trip cost more than they save. */
const MIN_COMPRESS = 4096;
/** A compressed body is kept only if it is at most this fraction of the original. */
const MAX_RATIO = 0.9;
/** The largest blob a compressed body may expand to (a gzip bomb is refused). */
const MAX_EXPANDED = 2 ** 31 - 1;

export type Compression = 'gzip' | 'none';

/**
 * The body sent to `PUT /cas/{digest}`: the blob itself, or a gzip member of
 * it (level 1: docs/REMOTE.md has the measurement). Either way the address is
 * the digest of the uncompressed bytes, and the body is stored and served as
 * is, so a plain file server (nginx WebDAV) needs no configuration for it.
 */
export async function encodeBlobBody(raw: Uint8Array, compression: Compression): Promise<Uint8Array> {
  if (compression === 'none' || raw.length < MIN_COMPRESS) return raw;
  const z = await gzipAsync(raw, { level: 1 });
  return z.length <= raw.length * MAX_RATIO ? z : raw;
}

/**
 * The blob a body holds, verified against `digest`. A body whose own digest
 * matches is the blob; otherwise it must be a gzip member whose content
 * matches (inflated to at most `maxBytes`). Anything else is
 * SPLITCACHE_REMOTE_DIGEST: a wrong or damaged blob is never returned.
 */
export async function decodeBlobBody(body: Uint8Array, digest: Digest, maxBytes = MAX_EXPANDED): Promise<Buffer> {
  if (digestBytes(body) === digest) return Buffer.from(body.buffer, body.byteOffset, body.length);
  if (isGzip(body)) {
    // Never inflated past the blob's size: a gzip bomb stops there.
    const raw = await gunzipSized(body, Math.min(maxBytes, MAX_EXPANDED)).catch(() => undefined);
    if (raw && digestBytes(raw) === digest) return raw;
  }
  throw new SplitcacheError('SPLITCACHE_REMOTE_DIGEST', `remote blob ${digest} does not match its digest (${body.length} bytes received)${pageHint(body)}`);
}

/** deflate's largest expansion: a body can't inflate to more than this many times its size. */
const MAX_DEFLATE_RATIO = 1032;
/** The largest first output buffer a trailer may ask for. */
const MAX_FIRST_CHUNK = 64 * 1024 * 1024;

/**
 * gunzip into an output buffer sized from the gzip trailer's ISIZE (the size
 * mod 2^32), so a large blob inflates in one pass into one buffer. With
 * node's default 16 KiB chunks each chunk was a callback on the daemon's
 * thread and the whole output was copied once more at the end: a 24 MB
 * rlib took 100-220 ms of CPU to inflate, sized 50-75 ms. ISIZE is the
 * sender's word: it sizes only the first buffer, within deflate's ratio and
 * 64 MiB, zlib refuses a body whose trailer doesn't match what it inflated
 * to, and `maxOutputLength` still bounds the output.
 */
export function gunzipSized(body: Uint8Array, maxOutputLength = MAX_EXPANDED): Promise<Buffer> {
  const isize = body.length >= 4 ? Buffer.from(body.buffer, body.byteOffset, body.length).readUInt32LE(body.length - 4) : 0;
  const chunkSize = Math.max(16 * 1024, Math.min(isize, body.length * MAX_DEFLATE_RATIO, MAX_FIRST_CHUNK, maxOutputLength));
  return gunzipAsync(body, { maxOutputLength, chunkSize });
}

/** gzip's magic and the deflate method byte. */
export function isGzip(b: Uint8Array): boolean {
  return b.length >= 3 && b[0] === 0x1f && b[1] === 0x8b && b[2] === 0x08;
}
