import { isDigest, type Digest } from '@splitcache/hash';
import type { EntryRecord } from '@splitcache/store';
import { openAc, sealAc, type InputSetRecord } from './acRecord.js';
import { decodeBlobBody, encodeBlobBody, type Compression } from './blobBody.js';
import { HttpRemote, type HttpRemoteOptions } from './httpRemote.js';

export interface RemoteCacheOptions extends HttpRemoteOptions {
  /** HMAC-SHA256 key: AC records are signed on upload and must verify on download. */
  signingKey?: string;
  compression: Compression;
}

/**
 * The remote backend as the daemon sees it: blobs by digest under /cas/ and
 * signed records under /ac/ (docs/REMOTE.md). Everything read is verified
 * (blob digests, record signatures and shapes) before it is returned; a 404
 * is `undefined`; every other failure throws a SplitcacheError that the
 * caller turns into a miss.
 */
export class RemoteCache {
  readonly http: HttpRemote;
  constructor(private readonly o: RemoteCacheOptions) {
    this.http = new HttpRemote(o);
  }

  async getInputSet(manifestKey: Digest): Promise<InputSetRecord | undefined> {
    const body = await this.http.get(acPath(manifestKey));
    return body && openAc(body, 'inputs', manifestKey, this.o.signingKey);
  }

  async getEntry(entryKey: Digest): Promise<EntryRecord | undefined> {
    const body = await this.http.get(acPath(entryKey));
    return body && openAc(body, 'entry', entryKey, this.o.signingKey).entry;
  }

  /** A blob's bytes, decompressed and verified against its digest. */
  async getBlob(digest: Digest): Promise<Buffer | undefined> {
    const body = await this.http.get(casPath(digest));
    return body && decodeBlobBody(body, digest);
  }

  hasBlob(digest: Digest): Promise<boolean> {
    return this.http.head(casPath(digest));
  }

  hasRecord(key: Digest): Promise<boolean> {
    return this.http.head(acPath(key));
  }

  /** Uploads a blob; returns the bytes sent. */
  async putBlob(digest: Digest, raw: Uint8Array): Promise<number> {
    const body = await encodeBlobBody(raw, this.o.compression);
    await this.http.put(casPath(digest), body);
    return body.length;
  }

  async putEntry(entryKey: Digest, entry: EntryRecord): Promise<void> {
    await this.http.put(acPath(entryKey), sealAc({ v: 1, kind: 'entry', key: entryKey, entry }, this.o.signingKey));
  }

  async putInputSet(rec: Omit<InputSetRecord, 'v' | 'kind'>): Promise<void> {
    await this.http.put(acPath(rec.key), sealAc({ v: 1, kind: 'inputs', ...rec }, this.o.signingKey));
  }

  close(): Promise<void> {
    return this.http.close();
  }
}

export function casPath(digest: Digest): string {
  if (!isDigest(digest)) throw new TypeError(`not a digest: ${String(digest)}`);
  return `/cas/${digest}`;
}

export function acPath(key: Digest): string {
  if (!isDigest(key)) throw new TypeError(`not a key: ${String(key)}`);
  return `/ac/${key}`;
}
