import xxhash, { type XXHashAPI } from 'xxhash-wasm';
import { open } from 'node:fs/promises';

/**
 * A digest is 128 bits, hex: two xxh64 lanes with different seeds, computed in
 * one pass over the data. xxh64 runs at about 7 GB/s here (SHA-256: 1.8 GB/s).
 * It is not a cryptographic hash; integrity against an adversary comes from the
 * signed manifests of the remote protocol, not from the digest.
 */
export type Digest = string;

let api: XXHashAPI | undefined;

/** Loads the wasm module once; every other function here needs it loaded. */
export async function initHash(): Promise<void> {
  api ??= await xxhash();
}

function hasher(): XXHashAPI {
  if (!api) throw new TypeError('initHash() must be awaited before hashing');
  return api;
}

export function digestBytes(data: Uint8Array | string): Digest {
  const h = hasher();
  const a = h.create64(0n).update(data).digest();
  const b = h.create64(0x9e3779b97f4a7c15n).update(data).digest();
  return hex64(a) + hex64(b);
}

/** A streaming digest, for files too large to hold at once. */
export class DigestStream {
  private readonly a = hasher().create64(0n);
  private readonly b = hasher().create64(0x9e3779b97f4a7c15n);
  update(chunk: Uint8Array | string): this {
    this.a.update(chunk);
    this.b.update(chunk);
    return this;
  }
  digest(): Digest {
    return hex64(this.a.digest()) + hex64(this.b.digest());
  }
}

const CHUNK = 1 << 20;

/** Digest of a file's content, read in 1 MiB chunks (no whole-file buffer). */
export async function digestFile(path: string): Promise<Digest> {
  const fh = await open(path, 'r');
  try {
    const s = new DigestStream();
    const buf = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, CHUNK, null);
      if (bytesRead === 0) break;
      s.update(buf.subarray(0, bytesRead));
    }
    return s.digest();
  } finally {
    await fh.close();
  }
}

export function isDigest(s: unknown): s is Digest {
  return typeof s === 'string' && /^[0-9a-f]{32}$/.test(s);
}

function hex64(n: bigint): string {
  return n.toString(16).padStart(16, '0');
}
