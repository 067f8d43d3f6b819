import { stat } from 'node:fs/promises';
import { digestFile, type Digest } from './digest.js';

/**
 * Memoises file digests by (path, size, mtime, inode). A warm build asks for
 * the same few hundred files on every call, so this is the daemon's hot path.
 * A file modified within the last `racyMs` is never memoised: a same-size
 * edit within one mtime tick would go unseen (git's "racy" case).
 */
export class FileDigestMemo {
  private readonly entries = new Map<string, { stamp: string; digest: Digest }>();
  constructor(private readonly racyMs = 2000, private readonly maxEntries = 200_000) {}

  async digest(path: string): Promise<Digest> {
    const st = await stat(path, { bigint: true });
    const stamp = `${st.size}:${st.mtimeNs}:${st.ino}`;
    const hit = this.entries.get(path);
    if (hit && hit.stamp === stamp) return hit.digest;
    const digest = await digestFile(path);
    const ageMs = Date.now() - Number(st.mtimeMs);
    if (ageMs > this.racyMs) {
      if (this.entries.size >= this.maxEntries) this.entries.clear();
      this.entries.set(path, { stamp, digest });
    } else {
      this.entries.delete(path);
    }
    return digest;
  }

  get size(): number {
    return this.entries.size;
  }
}
