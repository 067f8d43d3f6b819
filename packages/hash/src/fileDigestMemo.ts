import { stat } from 'node:fs/promises';
import { statSync, type BigIntStats } from 'node:fs';
import { digestFile, digestFileSync, isDigest, type Digest } from './digest.js';

/**
 * Files up to this size are stat'ed and read with synchronous calls. Each
 * fs/promises call is a round trip through libuv's thread pool; a warm hit
 * stats every source file of its crate (hundreds for a tokio crate), one
 * after another, and under a build's load those round trips, not the
 * system calls (a few microseconds each), were most of the daemon's answer.
 */
export const SYNC_IO_MAX_BYTES = 1 << 20;

/**
 * Memoises file digests by (path, size, mtime, inode, ctime). A warm build
 * asks for the same few hundred files on every call, so this is the daemon's
 * hot path. A file modified within the last `racyMs` (by its mtime or its
 * ctime) is never memoised: a same-size edit within one tick would go unseen
 * (git's "racy" case).
 *
 * The ctime is there for what keeps an mtime: `tar x`, `cp -p`, `rsync -a`,
 * unzip, or `touch -r` after an edit. A same-size file written with the old
 * mtime, in place or under an inode number the file system just freed (ext4
 * hands it out again at once), matches size, mtime and inode; only its ctime,
 * which no user can set, says it was written. git's index keeps it for the
 * same reason.
 */
export class FileDigestMemo {
  /** `ctimeNs` is checked for a digest this memo read; record() and remember() leave it out (below). */
  private readonly entries = new Map<string, { stamp: string; ctimeNs?: bigint; digest: Digest }>();
  /** Files prime() is reading, by path: a digest() of the same stamp meanwhile waits for that read. */
  private readonly reading = new Map<string, { stamp: string; digest: Promise<Digest> }>();
  constructor(private readonly racyMs = 2000, private readonly maxEntries = 200_000) {}

  async digest(path: string): Promise<Digest> {
    const st = statSync(path, { bigint: true });
    const stamp = stampOf(st);
    const hit = this.entries.get(path);
    if (hit && hit.stamp === stamp && (hit.ctimeNs === undefined || hit.ctimeNs === st.ctimeNs)) return hit.digest;
    const reading = this.reading.get(path);
    if (reading && reading.stamp === stamp) {
      try {
        return await reading.digest;
      } catch {
        /* that read failed: this one tries */
      }
    }
    const digest = st.size <= SYNC_IO_MAX_BYTES ? digestFileSync(path) : await digestFile(path);
    const ageMs = Date.now() - Math.max(Number(st.mtimeMs), Number(st.ctimeMs));
    if (ageMs > this.racyMs) {
      if (this.entries.size >= this.maxEntries) this.entries.clear();
      this.entries.set(path, { stamp, ctimeNs: st.ctimeNs, digest });
    } else {
      this.entries.delete(path);
    }
    return digest;
  }

  /**
   * Records the digest of bytes the caller itself just wrote to, or read
   * from, `path` (a replayed output, an ingested rlib), so that the crates
   * depending on it do not read and hash it again. `before`, when given, is
   * the file's stat from before the caller read it: if the file changed
   * since, nothing is recorded.
   *
   * Unlike digest(), a young file is recorded, but only on a file system
   * that keeps sub-second mtimes (nanoseconds not all zero): there a rewrite
   * gets a new stamp unless it lands within the same clock tick, which for a
   * build output means within milliseconds of this call. On a file system
   * with whole-second mtimes the racy rule stands and nothing is recorded.
   *
   * The ctime is not part of such a record: the rename that puts a replayed
   * file in place, and cargo's hard link of a member's rlib into the target
   * dir, change it, and the dependants would read the file back after all.
   * The file was written just now, by rustc or by the daemon, with a
   * sub-second mtime no tool has carried over from another file.
   */
  async remember(path: string, digest: Digest, before?: BigIntStats): Promise<void> {
    const st = await stat(path, { bigint: true }).catch(() => undefined);
    if (!st) return;
    if (before && (before.size !== st.size || before.mtimeNs !== st.mtimeNs || before.ino !== st.ino)) return;
    this.record(path, digest, st);
  }

  /**
   * Reads and records, in the background, a build output just made that later calls will ask
   * for: the library a proc-macro's (or dylib's) link step wrote, which every crate using it names
   * in its key (--extern). Each such crate read it on its own critical path before, a build
   * after its link and so too young to keep: 5-19 ms for each of tokio's 8-10 MB proc-macros
   * here. Recorded as remember() records; a digest() asked meanwhile waits for this read.
   * Resolves once done (tests wait for it); nothing is recorded for a file that is gone.
   */
  prime(path: string): Promise<void> {
    let st: BigIntStats;
    try {
      st = statSync(path, { bigint: true });
    } catch {
      return Promise.resolve();
    }
    const reading = { stamp: stampOf(st), digest: digestFile(path) };
    this.reading.set(path, reading);
    return reading.digest
      .then((digest) => this.remember(path, digest, st))
      .catch(() => undefined)
      .finally(() => {
        if (this.reading.get(path) === reading) this.reading.delete(path);
      });
  }

  /**
   * The same as remember(), given the stat of the bytes written (fstat'ed
   * before they were renamed to `path`): no stat of its own, and nothing to
   * race with, since the stamp is that of the very file whose bytes hashed
   * to `digest`. The rule for young files is remember()'s.
   */
  record(path: string, digest: Digest, written: BigIntStats): void {
    if (written.mtimeNs % 1_000_000_000n === 0n) return;
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(path, { stamp: stampOf(written), digest });
  }

  /**
   * The digests digest() read itself and kept (files old enough, their ctime known), as
   * [path, stamp, ctime ns, digest]: for the next daemon on this store to adopt. The outputs
   * record() and remember() hold are left out: a build writes them anew.
   */
  kept(): KeptDigest[] {
    const out: KeptDigest[] = [];
    for (const [path, e] of this.entries) if (e.ctimeNs !== undefined) out.push([path, e.stamp, e.ctimeNs.toString(), e.digest]);
    return out;
  }

  /**
   * Takes the digests a daemon before this one kept (kept()). Each answers only while its file's
   * size, mtime, inode and ctime are as recorded, as a digest this memo read itself does: an edit,
   * a rewrite that keeps the mtime, or another file at the path changes at least the ctime, which
   * no user can set. A path this memo already knows keeps what it knows; an ill-formed entry is
   * skipped. Returns how many were taken.
   */
  adopt(entries: unknown): number {
    if (!Array.isArray(entries)) return 0;
    let taken = 0;
    for (const e of entries) {
      if (this.entries.size >= this.maxEntries) break;
      if (!Array.isArray(e) || e.length !== 4) continue;
      const [path, stamp, ctime, digest] = e as unknown[];
      if (typeof path !== 'string' || typeof stamp !== 'string' || typeof ctime !== 'string' || !isDigest(digest)) continue;
      if (!/^\d+:\d+:\d+$/.test(stamp) || !/^\d+$/.test(ctime) || this.entries.has(path)) continue;
      this.entries.set(path, { stamp, ctimeNs: BigInt(ctime), digest });
      taken++;
    }
    return taken;
  }

  get size(): number {
    return this.entries.size;
  }
}

/** One digest kept for a later daemon: path, stamp (size:mtime ns:inode), ctime ns, digest. */
export type KeptDigest = [string, string, string, Digest];

function stampOf(st: BigIntStats): string {
  return `${st.size}:${st.mtimeNs}:${st.ino}`;
}
