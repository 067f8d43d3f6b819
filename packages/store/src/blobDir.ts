import { open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { statSync, type Stats } from 'node:fs';
import { digestBytes, isDigest, SYNC_IO_MAX_BYTES, type Digest } from '@splitcache/hash';
import { oneLine, SplitcacheError } from '@splitcache/errors';
import { tempSuffix, writeFileAtomic, writeFileAtomicSync } from './writeFileAtomic.js';
import { NotABlobFile, readBlobFile, readBlobFileSync } from './blobFile.js';
import { copyThenDigest } from './copyThenDigest.js';
import { inodesHint, isDiskFull } from './diskFull.js';
import { makeDirsSync, makeTempDir } from './makeDirs.js';

/**
 * The content-addressed blob directory: `<root>/<2 hex>/<30 hex>`.
 * Blobs are immutable. A blob is written to a temp name in `<root>/tmp`
 * and renamed into place, so a reader never sees a partial blob, and every
 * read re-hashes the bytes, so a flipped bit is a miss, never a wrong artifact.
 */
export class BlobDir {
  readonly tmpDir: string;
  /** The removal sets of the watches under way (watchRemovals). */
  private readonly watches = new Set<Set<Digest>>();
  /** Told, in one line, of a copy of another size found under a blob's name and replaced (Store.open's `onRecover`). */
  onReplaced?: (line: string) => void;
  constructor(readonly root: string) {
    this.tmpDir = join(root, 'tmp');
  }

  /**
   * Creates the directory. With `clearTemp` (the daemon, which holds the
   * store's lock), temp files a killed process left behind are removed.
   */
  async init(clearTemp = false): Promise<void> {
    // What can't be removed stays (a read-only dir another program left there): thrown, it failed the
    // store's open as not writable, and no daemon started, every build uncached, until it was removed by hand.
    if (clearTemp) await rm(this.tmpDir, { recursive: true, force: true }).catch(() => undefined);
    // A file in its place (or a dangling symlink: a temp dir linked to a disk gone) is removed: every
    // open failed on it (mkdir's EEXIST), and no daemon ever started again, each start answering
    // 'build uncached' for 30 s.
    await makeTempDir(this.tmpDir);
  }

  /**
   * The blobs this BlobDir removes from now until `end()`. A writer whose blob's name was taken
   * (write and writeFrom leave a blob of the right size there alone) learns that it went meanwhile, removed by a hit
   * that found that copy bad, and writes it again before and after it commits the entry naming
   * it: the entry of a miss racing such a hit named a blob gone, a compile at its next lookup.
   */
  watchRemovals(): { removed: Set<Digest>; end(): void } {
    const removed = new Set<Digest>();
    this.watches.add(removed);
    return { removed, end: () => void this.watches.delete(removed) };
  }

  pathOf(digest: Digest): string {
    if (!isDigest(digest)) throw new TypeError(`not a digest: ${String(digest)}`);
    return join(this.root, digest.slice(0, 2), digest.slice(2));
  }

  async has(digest: Digest): Promise<boolean> {
    try {
      await stat(this.pathOf(digest));
      return true;
    } catch {
      return false;
    }
  }

  async size(digest: Digest): Promise<number | undefined> {
    try {
      return (await stat(this.pathOf(digest))).size;
    } catch {
      return undefined;
    }
  }

  /** size(), synchronously: a stat answered from the inode cache, for a walk over every entry (gc). */
  sizeSync(digest: Digest): number | undefined {
    return statOrUndefined(this.pathOf(digest))?.size;
  }

  /**
   * Reads and verifies a blob. Missing or unreadable for good (GONE: EIO, EACCES) →
   * SPLITCACHE_BLOB_MISSING, bad bytes → SPLITCACHE_BLOB_CORRUPT; callers evict their entries.
   * Any other failure is of this moment (no file descriptor or memory left, a network file
   * system's ESTALE) → SPLITCACHE_STORE_IO: the blob may well be fine, and its entries stay.
   * Every failure was BLOB_MISSING: a daemon out of file descriptors (EMFILE) evicted 15 good
   * entries of a build whose blobs were all on disk (a hunting helper's repro, `ulimit -n 64`).
   * `size`, when the caller knows it (an entry records its outputs' sizes): a small blob
   * is read with one synchronous call instead of a thread-pool round trip per step.
   * `keep`: a bad blob is left where it is, for a caller that evicts its entries first and
   * removes it after (verifyStore: killed in between, entries named a blob gone).
   */
  async read(digest: Digest, size?: number, keep = false): Promise<Buffer> {
    let data: Buffer;
    try {
      const path = this.pathOf(digest);
      data = size !== undefined && size <= SYNC_IO_MAX_BYTES ? readBlobFileSync(path) : await readBlobFile(path, size);
    } catch (cause) {
      if (cause instanceof NotABlobFile) throw await this.notAFile(digest, cause, keep);
      const code = (cause as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') throw new SplitcacheError('SPLITCACHE_BLOB_MISSING', `blob ${digest} is missing`, { cause });
      // Removed where it can be, as a damaged one is: the miss's store found its name taken and left it, and
      // every build after missed it again (a blob made 0000: each call `replay-failed`, until `audit verify`).
      if (code !== undefined && GONE.has(code)) {
        const removed = !keep && (await this.remove(digest));
        throw new SplitcacheError('SPLITCACHE_BLOB_MISSING', `blob ${digest} cannot be read: ${code}${removed ? ' (removed: the next store of it writes it anew)' : ''}`, { cause });
      }
      // Anything else, an error of no system code among them (a buffer that could not be allocated
      // under an address-space limit: verify removed a good 400 MB blob, a review's repro), is the moment's.
      const hint = code === 'EMFILE' || code === 'ENFILE' ? ' (too many open files: ulimit -n)' : '';
      throw new SplitcacheError('SPLITCACHE_STORE_IO', `cannot read blob ${digest}: ${code ?? oneLine(cause)}${hint}`, { cause });
    }
    if (digestBytes(data) !== digest) throw await this.damaged(digest, keep);
    return data;
  }

  /**
   * A blob found not to match its digest is removed, and the error to throw: kept, it stayed for
   * good, since a write of its digest leaves a blob of its size there alone, so the entry that the next build
   * compiled and stored again failed the same way, one miss on every build until `audit verify`.
   */
  private async damaged(digest: Digest, keep = false): Promise<SplitcacheError> {
    const removed = !keep && (await this.remove(digest));
    return new SplitcacheError('SPLITCACHE_BLOB_CORRUPT', `blob ${digest} does not match its digest${removed ? ' (removed: the next store of it writes it anew)' : ''}`);
  }

  /**
   * A FIFO, directory or link to a device under a blob's name (another program's) is removed where
   * it can be, so the next store of the blob writes it: a write finds its name taken and leaves it.
   */
  private async notAFile(digest: Digest, cause: NotABlobFile, keep = false): Promise<SplitcacheError> {
    const removed = !keep && (await this.discard(digest));
    return new SplitcacheError('SPLITCACHE_BLOB_MISSING', `blob ${digest} is ${cause.kind}, not a file${removed ? ' (removed: the next store of it writes it anew)' : ''}`, { cause });
  }

  /**
   * Stores bytes, returns their digest. Existing blobs are left alone (they
   * are immutable), unless the file under the name is of another size (kept(): replaced).
   * A small blob (dep-info, most rmeta, an entry's record) is
   * written with synchronous calls, with no thread-pool round trip per step.
   */
  async write(data: Uint8Array, known?: Digest): Promise<Digest> {
    const digest = known ?? digestBytes(data);
    const dest = this.pathOf(digest);
    const tmp = join(this.tmpDir, `${digest}.${tempSuffix()}`);
    try {
      if (data.length <= SYNC_IO_MAX_BYTES) {
        if (this.kept(digest, statOrUndefined(dest), data.length)) return digest;
        await this.inShard(digest, () => writeFileAtomicSync(tmp, dest, data, 0o444));
      } else {
        if (this.kept(digest, await stat(dest).catch(() => undefined), data.length)) return digest;
        await this.inShard(digest, () => writeFileAtomic(tmp, dest, data, 0o444));
      }
    } catch (cause) {
      throw blobWriteError(cause, `write blob ${digest}`, this.tmpDir);
    }
    return digest;
  }

  /**
   * Whether a write of a blob of `size` bytes leaves what `st` found under its name as it is: whatever
   * is there, but a regular file of another size (a copy cut short by a restore or a power loss, or
   * left by a verify killed between its evictions and its removals). Such a copy was kept, and the
   * entry of the miss that wrote it named a bad blob: its first hit failed and compiled again. It is
   * replaced by the write's rename, atomically, and said in one line. Its size is the stat's the write
   * makes anyway, so a miss's store costs no more; a copy of the right size with damaged bytes is
   * still kept (telling it would mean reading it whole): the first read of it removes it.
   */
  private kept(digest: Digest, st: Stats | undefined, size: number): boolean {
    if (!st) return false;
    if (!st.isFile() || st.size === size) return true;
    this.onReplaced?.(oneLine(new SplitcacheError('SPLITCACHE_BLOB_CORRUPT', `blob ${digest} under its name was ${st.size} bytes, not ${size}: replaced with the copy being stored`)));
    return false;
  }

  /**
   * Runs `put`, which puts a blob in place in its shard directory
   * (`<root>/<2 hex>`); when that directory is missing, makes it and runs
   * `put` again. A store has 256 of them, so they are made as the first
   * blobs need them, not checked before every write.
   */
  private async inShard(digest: Digest, put: () => unknown): Promise<void> {
    try {
      await put();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      makeDirsSync(join(this.root, digest.slice(0, 2)));
      this.remakeTmp();
      await put();
    }
  }

  /**
   * Makes `<root>/tmp` again where it is gone: the blobs dir removed while the daemon ran
   * (`rm -rf $SPLITCACHE_DIR/blobs` to clear the cache). The shards were made again as
   * blobs needed them, the temp dir never, and nothing was stored until the daemon restarted.
   * True if it was missing.
   */
  private remakeTmp(): boolean {
    if (statOrUndefined(this.tmpDir)) return false;
    makeDirsSync(this.tmpDir);
    return true;
  }

  /**
   * Stores a file's content: copied by the kernel to a temp blob, which is
   * then digested (copyThenDigest.ts) and renamed to its digest (or dropped,
   * when that blob exists already). For large outputs: no whole-file buffer.
   * Returns the digest and how many bytes were stored.
   */
  async writeFrom(path: string): Promise<{ digest: Digest; size: number }> {
    const tmp = join(this.tmpDir, `in.${tempSuffix()}`);
    try {
      const copy = () => copyThenDigest(path, tmp, 0o444);
      const copied = await copy().catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' && this.remakeTmp() ? copy() : Promise.reject(err)));
      if (this.kept(copied.digest, await stat(this.pathOf(copied.digest)).catch(() => undefined), copied.size)) {
        await rm(tmp, { force: true });
      } else {
        const dest = this.pathOf(copied.digest);
        await this.inShard(copied.digest, () => rename(tmp, dest));
      }
      return copied;
    } catch (cause) {
      await rm(tmp, { force: true });
      // An output that can't be read is the caller's to name; the rest is the store's.
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT' && !statSync(path, { throwIfNoEntry: false })) throw cause;
      throw blobWriteError(cause, `store ${path}`, this.tmpDir);
    }
  }

  /**
   * Copies a blob into a new file `dest` (which must not exist), then verifies
   * the copy's bytes: a missing or bad blob throws SPLITCACHE_BLOB_* and leaves
   * no `dest`. Other errors (writing `dest`) are thrown as the file system gave them.
   */
  async copyOut(digest: Digest, dest: string, mode: number): Promise<number> {
    try {
      // Not a regular file (a FIFO, whose open would wait for ever): read() says what it is, and removes it.
      if (statOrUndefined(this.pathOf(digest))?.isFile() === false) await this.read(digest);
      const copied = await copyThenDigest(this.pathOf(digest), dest, mode);
      if (copied.digest !== digest) {
        // The blob itself read again (read() removes it if it is bad): the copy is what went wrong otherwise.
        await this.read(digest);
        throw new SplitcacheError('SPLITCACHE_REPLAY', `the copy of blob ${digest} to ${dest} does not match its digest`);
      }
      return copied.size;
    } catch (err) {
      // A `dest` already there is not this copy's to remove.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') await rm(dest, { force: true });
      // ENOENT is either the blob or dest's directory: only the first is a missing blob.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !statSync(this.pathOf(digest), { throwIfNoEntry: false })) {
        throw new SplitcacheError('SPLITCACHE_BLOB_MISSING', `blob ${digest} is missing`, { cause: err });
      }
      // A copy fails on either side. The blob read whole, as read() reads it, tells whether it was the
      // blob's fault, and which (gone for good: BLOB_MISSING, and its entries evicted; this moment's:
      // STORE_IO): a blob over 1 MiB that could never be read (EIO, a directory in its place) gave
      // SPLITCACHE_REPLAY, which keeps the entry, and every later hit of it failed again. Not for the
      // faults of a destination or of this moment (a full or read-only target disk, out of file
      // descriptors), where every hit of a large rlib would read and hash it whole for nothing.
      const code = (err as NodeJS.ErrnoException).code;
      if (!(err instanceof SplitcacheError) && !(code !== undefined && NOT_THE_BLOBS.has(code))) await this.read(digest);
      throw err;
    }
  }

  /** Whether a blob's first bytes are `prefix` (a cheap look before a full, verified read). */
  async startsWith(digest: Digest, prefix: Uint8Array): Promise<boolean> {
    try {
      const fh = await open(this.pathOf(digest), 'r');
      try {
        const buf = Buffer.alloc(prefix.length);
        const { bytesRead } = await fh.read(buf, 0, prefix.length, 0);
        return bytesRead === prefix.length && buf.equals(prefix);
      } finally {
        await fh.close();
      }
    } catch {
      return false;
    }
  }

  /**
   * Every blob on disk (a file of a shard dir named as one): digest, size and mtime (ms). The stats are synchronous,
   * LIST_BATCH at a time between turns of the event loop: with a promise per
   * stat, a walk of 100,000 blobs took 4 s here, against 0.6 s this way, and
   * no turn holds the daemon for more than a millisecond or two, so builds
   * that share it don't wait on a walk.
   */
  async *list(): AsyncGenerator<{ digest: Digest; size: number; mtimeMs: number }> {
    for (const shard of (await readdir(this.root)).sort()) {
      if (!/^[0-9a-f]{2}$/.test(shard)) continue;
      const names = await readdir(join(this.root, shard)).catch(() => [] as string[]);
      for (let i = 0; i < names.length; i += LIST_BATCH) {
        const batch: { digest: Digest; size: number; mtimeMs: number }[] = [];
        for (const rest of names.slice(i, i + LIST_BATCH)) {
          // Only a file named as a blob: another program's in a shard dir (an rsync's temp file, NFS's
          // `.nfs…` of a file still open) made gc throw "not a digest" on its removal, every time.
          if (!isDigest(shard + rest)) continue;
          const st = statOrUndefined(join(this.root, shard, rest));
          if (st?.isFile()) batch.push({ digest: shard + rest, size: st.size, mtimeMs: st.mtimeMs });
        }
        yield* batch;
        await new Promise((r) => setImmediate(r));
      }
    }
  }

  /** How many blobs there are and their bytes on disk (a walk: see list()). */
  async usage(): Promise<{ blobs: number; bytes: number }> {
    let blobs = 0;
    let bytes = 0;
    for await (const b of this.list()) {
      blobs++;
      bytes += b.size;
    }
    return { blobs, bytes };
  }

  /**
   * A directory under a blob's name (unlink can't take it: EISDIR) is moved into the temp dir, which
   * the next daemon's start clears: left, every store of the blob found its name taken, and every
   * build missed the entry again. Moved, not removed here: it is no blob, and may be a mount point.
   */
  private async moveAside(digest: Digest): Promise<boolean> {
    return rename(this.pathOf(digest), join(this.tmpDir, `${digest}.not-a-blob.${tempSuffix()}`)).then(
      () => true,
      () => false,
    );
  }

  /** Removes what is under a blob's name, a directory moved aside (moveAside()); whether it is gone. */
  async discard(digest: Digest): Promise<boolean> {
    return (await this.remove(digest)) || (await this.moveAside(digest));
  }

  /** Removes a blob; whether it is gone (false where it stays: a file of another user's, in a dir this user can't write). */
  async remove(digest: Digest): Promise<boolean> {
    // Marked as the unlink is issued, so a writer that looks after this turn learns of it, and again
    // once it is done: a writer that looked in between saw the old file still there.
    const mark = () => {
      for (const removed of this.watches) removed.add(digest);
    };
    mark();
    return unlink(this.pathOf(digest)).then(
      () => (mark(), true),
      (err: NodeJS.ErrnoException) => err.code === 'ENOENT',
    );
  }
}

const LIST_BATCH = 64;

/** Errors of a copy's destination, or of this moment: the blob is not read again for them (copyOut). */
const NOT_THE_BLOBS = new Set(['EEXIST', 'ENOSPC', 'EDQUOT', 'EROFS', 'EFBIG', 'EMFILE', 'ENFILE', 'ENOMEM']);

/** Read errors that say a blob can't be read for good, as if gone (BlobDir.read). */
const GONE = new Set(['EIO', 'EACCES', 'EPERM', 'EISDIR', 'ELOOP', 'ENAMETOOLONG']);

/** A failed blob write: SPLITCACHE_STORE_FULL when the disk or quota is full, SPLITCACHE_STORE_IO otherwise. */
function blobWriteError(cause: unknown, what: string, dir: string): SplitcacheError {
  if (cause instanceof SplitcacheError) return cause;
  const code = (cause as NodeJS.ErrnoException).code;
  const full = isDiskFull(cause);
  // EFBIG: the file size limit the daemon took from the shell that started it (`ulimit -f`), kept for every build after (a hunting helper's finding).
  const hint = full ? inodesHint(dir) : code === 'EFBIG' ? " (the daemon's file size limit: `ulimit -f` in the shell that started it; `splitcache server stop` lets the next build start one without it)" : '';
  return new SplitcacheError(full ? 'SPLITCACHE_STORE_FULL' : 'SPLITCACHE_STORE_IO', `cannot ${what}: ${code ?? String(cause)}${hint}`, { cause });
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}
