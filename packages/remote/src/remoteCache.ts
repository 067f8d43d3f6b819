import { SplitcacheError } from '@splitcache/errors';
import { isDigest, type Digest } from '@splitcache/hash';
import type { EntryRecord } from '@splitcache/store';
import { decodeEnvelope, openAc, sealAc, type InputSetRecord } from './acRecord.js';
import { decodeBlobBody, encodeBlobBody, type Compression } from './blobBody.js';
import { sizeText } from './bodyReader.js';
import { HttpRemote, type HttpRemoteOptions } from './httpRemote.js';

export interface RemoteCacheOptions extends HttpRemoteOptions {
  /** HMAC-SHA256 key: AC records are signed on upload and must verify on download. */
  signingKey?: string;
  compression: Compression;
  /** The largest blob fetched: what the local store takes as one result (SPLITCACHE_MAX_ENTRY_SIZE). */
  maxBlobBytes?: number;
}

/**
 * The largest /ac/ body read. A record is small: an input set is paths (a
 * crate's dep-info: tens to a few thousand, ~100 bytes each), an entry adds
 * those paths' digests, up to a few dozen outputs and rustc's normalised
 * stdout/stderr. The largest of the tokio workspace's 52 entries is 19.5 kB
 * sealed (236 inputs). 16 MiB leaves room for a crate with 100,000 inputs
 * (the most an input set may list, acRecord.ts) or megabytes of warnings,
 * and bounds what a server can make the daemon hold per request.
 * (`splitcache serve` stores records up to 64 MiB; one between the two is
 * a miss.)
 */
export const MAX_RECORD_BYTES = 16 << 20;
/**
 * The largest input set sealed with its entry inline (acRecord.ts): over it
 * (an entry with megabytes of warnings) the input set goes up without it, and
 * readers ask for the entry on its own. Every reader of the manifest key
 * fetches the input set, hit or miss.
 */
const MAX_INLINE_RECORD_BYTES = 256 << 10;
/** Records in a row that can't be read before the server is skipped (readRecord). */
const UNREADABLE_RECORDS = 3;
/** The largest blob by default, and what node holds in one Buffer. */
const MAX_BLOB_BYTES = 2 ** 31 - 1;

/**
 * The remote backend as the daemon sees it: blobs by digest under /cas/ and
 * signed records under /ac/ (docs/REMOTE.md). Everything read is verified
 * (blob digests, record signatures and shapes) before it is returned; a 404
 * is `undefined`; every other failure throws a SplitcacheError that the
 * caller turns into a miss.
 */
export class RemoteCache {
  readonly http: HttpRemote;
  /** Blobs the server served that failed their digest: sent again by the next upload of them (hasBlob). */
  private readonly damaged = new Set<Digest>();
  /** Records read in a row for lookups that could not be read (readRecord). */
  private unreadable = 0;
  constructor(private readonly o: RemoteCacheOptions) {
    this.http = new HttpRemote(o);
  }

  async getInputSet(manifestKey: Digest): Promise<InputSetRecord | undefined> {
    return this.readRecord(() => this.http.get(acPath(manifestKey), MAX_RECORD_BYTES, (body) => openAc(body, 'inputs', manifestKey, this.o.signingKey)));
  }

  async getEntry(entryKey: Digest): Promise<EntryRecord | undefined> {
    return this.readRecord(() => this.http.get(acPath(entryKey), MAX_RECORD_BYTES, (body) => openAc(body, 'entry', entryKey, this.o.signingKey).entry));
  }

  /**
   * A record read for a lookup. Records that can't be read (SPLITCACHE_REMOTE_RECORD: not msgpack,
   * not of the shape they must have) three times in a row, with none read well between, open the
   * breaker: the server answers, so the HTTP layer counts each as a success, and a server (or a
   * proxy) that sent garbage slowly cost each lookup up to the body's time limit, for every crate
   * of the build (84 s for a 1 s build, with 3 MB answers). A record signed with another key is
   * the reader's own setting, never the server's fault: not counted.
   */
  private async readRecord<T>(read: () => Promise<T | undefined>): Promise<T | undefined> {
    try {
      const r = await read();
      if (r !== undefined) this.unreadable = 0;
      return r;
    } catch (err) {
      if (err instanceof SplitcacheError && err.code === 'SPLITCACHE_REMOTE_RECORD' && ++this.unreadable >= UNREADABLE_RECORDS) {
        this.unreadable = 0;
        this.http.breaker.failure('broken', err);
      }
      throw err;
    }
  }

  /**
   * A blob's bytes, decompressed and verified against its digest. `size` is
   * the blob's size as its entry records it: the body, raw or gzipped, can't
   * be much more than that (blobBodyBound), nor inflate to more. Without it,
   * or past it, the cap is maxBlobBytes. A larger blob is refused before any
   * request: SPLITCACHE_REMOTE_TOO_LARGE.
   */
  async getBlob(digest: Digest, size?: number): Promise<Buffer | undefined> {
    const cap = Math.min(this.o.maxBlobBytes || MAX_BLOB_BYTES, MAX_BLOB_BYTES);
    if (size !== undefined && size > cap) {
      throw new SplitcacheError('SPLITCACHE_REMOTE_TOO_LARGE', `remote blob ${digest}: ${size} bytes is over the ${sizeText(cap)} a local entry may hold (SPLITCACHE_MAX_ENTRY_SIZE)`);
    }
    try {
      return await this.http.get(casPath(digest), size === undefined ? cap : Math.min(blobBodyBound(size), MAX_BLOB_BYTES), (body) => decodeBlobBody(body, digest, size ?? cap));
    } catch (err) {
      if (err instanceof SplitcacheError && err.code === 'SPLITCACHE_REMOTE_DIGEST') this.damaged.add(digest);
      throw err;
    }
  }

  /** Whether the server has the blob; false for one it served damaged (getBlob), so that an upload sends it again over the bad copy. */
  hasBlob(digest: Digest): Promise<boolean> {
    if (this.damaged.has(digest)) return Promise.resolve(false);
    return this.http.head(casPath(digest));
  }

  /** Whether uploads are signed (SPLITCACHE_SIGNING_KEY). */
  get signs(): boolean {
    return Boolean(this.o.signingKey);
  }

  /**
   * The input set at `manifestKey` if this client would read it, and whether
   * it is signed; undefined when it is absent or fails this client's checks
   * (signed with another key after a rotation, unsigned where it signs,
   * malformed). A writer publishes where it is undefined: such a record would
   * otherwise stay a miss for every reader with the key, for good. A writer
   * reads it too to see whether the entry inline in it is its own.
   */
  async readableInputSet(manifestKey: Digest): Promise<{ record: InputSetRecord; signed: boolean } | undefined> {
    try {
      return await this.http.get(acPath(manifestKey), MAX_RECORD_BYTES, (body) => ({ record: openAc(body, 'inputs', manifestKey, this.o.signingKey), signed: decodeEnvelope(body)?.sig != null }));
    } catch (err) {
      if (err instanceof SplitcacheError && (err.code === 'SPLITCACHE_REMOTE_SIGNATURE' || err.code === 'SPLITCACHE_REMOTE_RECORD')) return undefined;
      throw err;
    }
  }

  /**
   * The entry record at `entryKey` if this client would read it, else
   * undefined: absent, or refused by its checks (another signing key's,
   * unsigned where this client signs, malformed). A writer reads it to see
   * whether the blobs it names are still there (docs/REMOTE.md).
   */
  async readableEntry(entryKey: Digest): Promise<EntryRecord | undefined> {
    try {
      return await this.http.get(acPath(entryKey), MAX_RECORD_BYTES, (body) => openAc(body, 'entry', entryKey, this.o.signingKey).entry);
    } catch (err) {
      if (err instanceof SplitcacheError && (err.code === 'SPLITCACHE_REMOTE_SIGNATURE' || err.code === 'SPLITCACHE_REMOTE_RECORD')) return undefined;
      throw err;
    }
  }

  /** Uploads a blob; returns the bytes sent. */
  async putBlob(digest: Digest, raw: Uint8Array): Promise<number> {
    const body = await encodeBlobBody(raw, this.o.compression);
    await this.http.put(casPath(digest), body);
    this.damaged.delete(digest);
    return body.length;
  }

  async putEntry(entryKey: Digest, entry: EntryRecord): Promise<void> {
    await this.http.put(acPath(entryKey), sealAc({ v: 1, kind: 'entry', key: entryKey, entry }, this.o.signingKey));
  }

  /** Uploads an input set; its entry stays out of it where the record would be over MAX_INLINE_RECORD_BYTES with it. */
  async putInputSet(rec: Omit<InputSetRecord, 'v' | 'kind'>): Promise<void> {
    let body = sealAc({ v: 1, kind: 'inputs', ...rec }, this.o.signingKey);
    if (rec.entry && body.length > MAX_INLINE_RECORD_BYTES) {
      const { entry: _big, ...bare } = rec;
      body = sealAc({ v: 1, kind: 'inputs', ...bare }, this.o.signingKey);
    }
    await this.http.put(acPath(rec.key), body);
  }

  close(): Promise<void> {
    return this.http.close();
  }
}

/**
 * The largest body that can hold a blob of `size` bytes: the blob itself, or
 * a gzip member of it. Deflate at worst stores the bytes (5 bytes per block of
 * up to 64 KiB); gzip adds a header (with an optional name) and an 8-byte
 * trailer. splitcache itself keeps a gzip body only when it is smaller.
 */
export function blobBodyBound(size: number): number {
  return size + Math.ceil(size / 1024) + 1024;
}

export function casPath(digest: Digest): string {
  if (!isDigest(digest)) throw new TypeError(`not a digest: ${String(digest)}`);
  return `/cas/${digest}`;
}

export function acPath(key: Digest): string {
  if (!isDigest(key)) throw new TypeError(`not a key: ${String(key)}`);
  return `/ac/${key}`;
}
