import type { IncomingMessage } from 'node:http';
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createGunzip, type Gunzip } from 'node:zlib';
import { DigestStream, type Digest } from '@splitcache/hash';
import { makeTempDir, writeAllAt } from '@splitcache/store';
import { isGzip } from '../blobBody.js';

/** The most a compressed body may expand to while it is checked (a gzip bomb stops here). */
const MAX_EXPANDED = 2 ** 32;
/**
 * A body's data is synced to disk each time this much more of it was written, so the sync before
 * its answer has at most this much left to write. A 1 GiB body synced only at its end waited
 * 0.58 s here between its last byte and its answer (0.03-0.13 s synced every 8 MiB); on a slower
 * disk, with more of it unwritten, that wait can pass the 3 s a client waits for an answer
 * (SPLITCACHE_REMOTE_TIMEOUT), which opens its breaker.
 */
const SYNC_EVERY = 8 * 2 ** 20;

export type Received = { ok: true; size: number } | { ok: false; why: 'digest' | 'length' };

/**
 * Streams a PUT /cas/ body into `tmpPath` while hashing it, without holding
 * it in memory. The body is accepted if it hashes to `digest`, or if it is a
 * gzip member whose content does (docs/REMOTE.md): the server never stores a
 * blob that a client would refuse.
 */
export async function receiveBlob(req: IncomingMessage, tmpPath: string, digest: Digest, length: number): Promise<Received> {
  const raw = new DigestStream();
  let head: Buffer | undefined = Buffer.alloc(0);
  let gz: { stream: Gunzip; hash: DigestStream; size: number; failed: boolean; done: Promise<void> } | undefined;
  let size = 0;
  let synced = 0;
  const fh = await openTemp(tmpPath);
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > length) return { ok: false, why: 'length' };
      raw.update(chunk);
      // All of it: one write(2) may take part of a chunk on a disk about to fill, and a body whose
      // last chunk was cut so was stored short, answered 201 and served (a 507 came only from the
      // write after it). A write that takes none is a full disk (writeAll.ts).
      await writeAllAt(fh, chunk, null);
      if (size >= synced + SYNC_EVERY) {
        await fh.datasync();
        synced = size;
      }
      if (head) {
        head = Buffer.concat([head, chunk]);
        if (head.length < 3) continue;
        if (isGzip(head)) gz = startGunzip();
        if (gz) gz.stream.write(head);
        head = undefined;
      } else if (gz && !gz.failed) {
        if (!gz.stream.write(chunk)) await Promise.race([new Promise((res) => gz!.stream.once('drain', res)), gz.done]);
      }
    }
    const got = await verdict();
    // On disk before it is renamed into place (placeBlob.ts): a power loss left a blob's name with
    // no data, or part of it, behind the rename, which reaches the disk first.
    if (got.ok) await fh.datasync();
    return got;
  } finally {
    await fh.close();
  }

  async function verdict(): Promise<Received> {
    if (size !== length) return { ok: false, why: 'length' };
    if (raw.digest() === digest) return { ok: true, size };
    if (!gz) return { ok: false, why: 'digest' };
    gz.stream.end();
    await gz.done;
    return !gz.failed && gz.hash.digest() === digest ? { ok: true, size } : { ok: false, why: 'digest' };
  }
}

function startGunzip() {
  const stream = createGunzip();
  const g = { stream, hash: new DigestStream(), size: 0, failed: false, done: Promise.resolve() };
  g.done = new Promise<void>((res) => {
    stream.on('data', (d: Buffer) => {
      g.size += d.length;
      if (g.size > MAX_EXPANDED) {
        g.failed = true;
        stream.destroy();
        res();
        return;
      }
      g.hash.update(d);
    });
    stream.on('end', () => res());
    stream.on('close', () => res());
    stream.on('error', () => {
      g.failed = true;
      res();
    });
  });
  return g;
}

/**
 * Creates a body's temp file in cas/tmp, made again where it is gone or is no directory: removed while
 * the server ran (`rm -rf cas/tmp`, a cleaner of old temp files), or a file or a dangling symlink left in
 * its place, every PUT was a 500 until the server was restarted, and no client could store a blob.
 */
async function openTemp(path: string) {
  return open(path, 'wx', 0o444).catch(async (err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT' && err.code !== 'ENOTDIR') throw err;
    await makeTempDir(dirname(path));
    return open(path, 'wx', 0o444);
  });
}
