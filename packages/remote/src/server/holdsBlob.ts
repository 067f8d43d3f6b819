import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { digestFile, DigestStream, type Digest } from '@splitcache/hash';

/** The most a gzip file may expand to while it is checked, as a PUT's body may (receiveBlob.ts). */
const MAX_EXPANDED = 2 ** 32;

/**
 * Whether the file at `path` holds the blob `digest` in a form a PUT stores: its bytes, or a
 * gzip member of them. A file a start counts in (adoptUnindexed.ts) was never checked by this
 * server: one cut short or empty under a blob's name (a restore copied in part, a blob written
 * before blobs were synced and cut by a power loss) was counted in and served with a 200, and
 * its HEAD's 200 kept every writer from sending it again.
 */
export async function holdsBlob(path: string, digest: Digest): Promise<boolean> {
  if ((await digestFile(path)) === digest) return true;
  const hash = new DigestStream();
  let size = 0;
  const take = async (chunks: AsyncIterable<Buffer>) => {
    for await (const c of chunks) {
      size += c.length;
      if (size > MAX_EXPANDED) throw new Error('expands too far');
      hash.update(c);
    }
  };
  return pipeline(createReadStream(path), createGunzip(), take).then(
    () => hash.digest() === digest,
    () => false,
  );
}
