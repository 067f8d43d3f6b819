import { oneLine, SplitcacheError } from '@splitcache/errors';
import type { Digest, FileDigestMemo } from '@splitcache/hash';
import type { PrefixTable } from '@splitcache/paths';
import type { InlineEntry, RemoteCache } from '@splitcache/remote';
import type { EntryRecord, ManifestResult, Store } from '@splitcache/store';
import { ABSENT } from './absentInputs.js';
import { splitNear } from './nearInputs.js';
import { RemoteInputReads } from './remoteInputReads.js';
import { checkRoom } from './diskReserve.js';
import { bigStatOf } from './isFile.js';
import { eachLimit } from './eachLimit.js';
import { entryKeyOf, sameInputs } from './entryKey.js';
import { formOfNoResult, hasDiagnostics } from './diagnosticForm.js';
import { envDepValue } from './envDepValue.js';
import { includedPaths, outDirOf } from './includedPathEnv.js';
import { readAsValues } from './includeDirUse.js';
import { inputOnDisk } from './inputPath.js';
import type { Logger } from './log.js';
import type { StatsKeeper } from './stats.js';
import { freeFromCovers } from './remapFlagKey.js';
import { writtenAgain } from './removedBlobs.js';

export interface RemoteQuery {
  manifestKey: Digest;
  crateName: string;
  components: [string, string][];
  cwd: string;
  env: Record<string, string>;
  table: PrefixTable;
  /** The call's diagnostic form (diagnosticForm.ts): an entry that holds diagnostics serves only calls of its own form. */
  form: string;
  /** The call's --extern files, absolute: what a dependency's macro may paste (includeDirUse.ts), decided as ingest decides. */
  externs?: string[];
  /** The call's `--remap-path-prefix` FROMs keyed as covering nothing (manifestKey.ts, item 3): an input set with an input one covers serves it not. */
  freeFroms?: readonly string[];
}

export interface RemoteLookup {
  /** A remote hit, already backfilled into the local store: replay it like a local one. */
  result?: ManifestResult;
  /** 'valid' when the records were signed and verified, 'unsigned' when no signing key is set. */
  signature?: 'valid' | 'unsigned';
  /** A hit's time in the remote (its records and blobs, from the first request), part of what replaying it took. */
  fetchMs?: number;
  /**
   * Why the remote could not serve it, for the miss's audit event: it had no input set under the
   * key (`remote-new-key`), none of its entries serves this call (`remote-no-entry`: none records
   * its inputs as they are here, one is no file here, or only the other diagnostic form was published),
   * or it had one and refused or lost it (`remote-signature`, `remote-digest`, …).
   */
  reason?: string;
}

/** Lookups that end so are not counted as slow ones: their own line says more. */
const UNTIMED = new Set(['SPLITCACHE_REMOTE_TIMEOUT', 'SPLITCACHE_REMOTE_BREAKER_OPEN']);

/** Blobs fetched at once for one entry. */
const BLOB_CONCURRENCY = 8;
/** A blob larger than this is fetched alone (fetchBlobs). tokio's largest rlib is 24 MB. */
const LARGE_BLOB_BYTES = 64 << 20;

/**
 * A lookup's first request (the input set: a small record, so its time is the remote's latency)
 * slower than this is told to the build: a hit asks the remote at least twice in a row (three
 * times before the entry came inline in the input set), and every miss once, so a remote
 * answering in 0.5-2.5 s made warm builds 2-10 times slower than
 * plain cargo (205 s against 20 s) with no word, while under SPLITCACHE_REMOTE_TIMEOUT.
 */
const SLOW_LOOKUP_MS = 1000;

/**
 * The remote tier of a lookup, after a local miss (docs/REMOTE.md, "Direct
 * mode over HTTP"): fetch the input set published for the manifest key,
 * digest those files here, compute the entry key as ingest does, fetch the
 * entry and every blob (each verified against its digest), and backfill the
 * local store: blobs, then the entry, then the manifest result. A remote
 * fault of any kind is a miss and a counter, never an error for the build.
 */
export class RemoteTier {
  private readonly lastWarned = new Map<string, number>();
  /** Manifest keys whose input set named what a lookup may not read (remoteInputReads.ts). */
  private readonly refused = new Set<Digest>();

  constructor(
    private readonly cache: RemoteCache,
    private readonly s: { store: Store; files: FileDigestMemo; stats: StatsKeeper; log: Logger; showLater?: (code: string, line: string) => void },
    private readonly signed: boolean,
  ) {}

  async fetch(q: RemoteQuery): Promise<RemoteLookup> {
    const { store, stats } = this.s;
    try {
      const asked = performance.now();
      // Timed however it ends (a slow answer that could not be read is as slow), but for a timeout,
      // whose own line says more (the slow one, shown first, kept it from the build: faultLines.ts),
      // and a request the breaker ended when another timed out.
      const set = await this.cache.getInputSet(q.manifestKey).then(
        (found) => (this.timed(performance.now() - asked), found),
        (err: unknown) => {
          if (!UNTIMED.has((err as { code?: string }).code ?? '')) this.timed(performance.now() - asked);
          throw err;
        },
      );
      // Named, so that explain does not read a local new-key as if no machine had the crate.
      if (!set) return { ...this.miss(), reason: 'remote-new-key' };
      if (freeFromCovers(q.freeFroms ?? [], set.inputs, q.cwd, q.table)) return { ...this.miss(), reason: 'remote-remap-covers-input' };
      const inputs = await this.digestInputs(set.inputs, q.cwd, q.table, new RemoteInputReads(this.s.files, q.manifestKey)).catch((err: unknown) => {
        if (err instanceof SplitcacheError && err.code === 'SPLITCACHE_REMOTE_RECORD') this.refuse(q.manifestKey);
        throw err;
      });
      if (!inputs) return { ...this.miss(), reason: 'remote-no-entry' };
      // Whether OUT_DIR or CARGO_MANIFEST_DIR was read as a value, from this machine's copies of the inputs (their digests are the producer's).
      const onDisk = set.inputs.filter((p) => !splitNear(p)).map((p) => inputOnDisk(q.cwd, q.table.expand(p)));
      const valueReads = await readAsValues(set.envDeps, onDisk, q.externs);
      const included = await includedPaths(set.envDeps.map((name) => ({ name, value: q.env[name] })), outDirOf(q.table), onDisk, q.externs ?? []);
      const envDeps: [string, string | null][] = set.envDeps.map((name) => [name, envDepValue(name, q.env[name], set.inputs, q.table, valueReads.has(name), included.has(name))]);
      const found = await this.findEntry(q, inputs, envDeps, set.entry);
      if (!found) return { ...this.miss(), reason: 'remote-no-entry' };
      if ('reason' in found) return { ...this.miss(), reason: found.reason };
      const { entryKey } = found;
      // A blob this store holds is kept, not fetched: a hit that finds that copy bad and removes it while
      // the entry is copied down, or just after it is written, left the entry one blob short, a compile
      // at its replay. Such a blob is fetched again, before the entry is written and after (removedBlobs.ts).
      const removals = store.blobs.watchRemovals();
      try {
        const got = await this.blobsOf(q, found, inputs, removals.removed);
        if ('reason' in got) return { ...this.miss(), reason: got.reason };
        const { entry, display, bytes } = got;
        const whole = () => writtenAgain(store, removals.removed, entry.outputs, (name) => this.fetchAgain(entry, name));
        if (!(await whole())) return { ...this.miss(), reason: 'remote-blob-missing' };
        const signature = this.signed ? 'valid' : 'unsigned';
        await store.commitEntry({
          manifestKey: q.manifestKey,
          manifest: { v: 1, crateName: q.crateName, components: q.components },
          result: display === undefined ? { entryKey, inputs, envDeps } : { entryKey, inputs, envDeps, display },
          // Whatever the remote said of it (a field of the remote's entry is not taken), so a later local hit names where it came from.
          entry: { ...entry, fetched: signature },
        });
        if (!(await whole().catch(() => false))) {
          await store.evictEntries(new Set([entryKey]), Date.now(), false);
          return { ...this.miss(), reason: 'remote-blob-missing' };
        }
        stats.count('remote', 'hits');
        stats.count('remote', 'downloadedBytes', bytes);
        return { result: { entryKey, inputs, envDeps, display }, signature, fetchMs: performance.now() - asked };
      } finally {
        removals.end();
      }
    } catch (err) {
      // Evicted on the server since the entry was written: a miss, named in its audit event (and
      // the upload after it replaces the entry: uploadQueue.ts), not a plain new key.
      if (err instanceof MissingBlob) return { ...this.miss(), reason: 'remote-blob-missing' };
      return this.failed(err);
    }
  }

  /**
   * Whether this daemon refused the input set published for `manifestKey` (it named a kernel's
   * file, or over 1 GiB): the upload queue then puts its own over it. A set that lists other
   * paths is otherwise left alone (uploadQueue.ts), so one such record kept every reader of that
   * crate missing for good.
   */
  refusedInputSet(manifestKey: Digest): boolean {
    return this.refused.has(manifestKey);
  }

  /** The upload queue replaced the input set at `manifestKey`: a set of other paths put there later is kept again, as any is. */
  replacedInputSet(manifestKey: Digest): void {
    this.refused.delete(manifestKey);
  }

  private refuse(manifestKey: Digest): void {
    if (this.refused.size >= 10_000) this.refused.clear();
    this.refused.add(manifestKey);
  }

  /**
   * The entry found, its blobs fetched into the local store (fetchBlobs), and the form of its diagnostics.
   * The entry inline in the input set can be another producer's than the one at its key
   * (objects differ between checkouts: debuginfo names them), and lose a blob the other
   * keeps: the entry at its key is asked for then, as a reader before entries inline did.
   * Before, every reader missed that crate for good while older ones hit it.
   */
  private async blobsOf(
    q: RemoteQuery, found: { entryKey: Digest; entry: EntryRecord; display?: string; form: string; inline: boolean }, inputs: [string, Digest][], removed: Set<Digest>,
  ): Promise<{ entry: EntryRecord; display?: string; bytes: number } | { reason: string }> {
    try {
      return { entry: found.entry, display: found.display, bytes: await this.fetchBlobs(found.entry, removed) };
    } catch (err) {
      const lost = err instanceof MissingBlob || err instanceof SizeMismatch || (err instanceof SplitcacheError && err.code === 'SPLITCACHE_REMOTE_DIGEST');
      const own = found.inline && lost ? await this.entryAt(found.entryKey, inputs) : undefined;
      if (!own || JSON.stringify(own.outputs) === JSON.stringify(found.entry.outputs)) throw err;
      // Its diagnostics are its own: an entry of the default key that holds some serves no other form.
      const display = hasDiagnostics(own.stderr) ? found.form : undefined;
      if (display === '' && q.form !== '') return { reason: 'remote-diagnostic-form' };
      return { entry: own, display, bytes: await this.fetchBlobs(own, removed) };
    }
  }

  /**
   * Fetches into the local store every blob of the entry it lacks, each verified; the bytes fetched.
   * `removed`: the store's removals being watched; those of blobs found missing here are dropped from it (they are fetched).
   */
  private async fetchBlobs(entry: EntryRecord, removed: Set<Digest>): Promise<number> {
    const { store } = this.s;
    // Each blob's size as the entry records it: its body is read up to about that, never more. Each
    // must be the blob's own: the store's size limit counts what entries record, and an entry that
    // said 9 MB for each of its blobs had `gc` evict the store's other entries for room it never
    // took (hunting helper: 9 of 10 evicted from a store at 1.2 MiB of its 40 MiB).
    const sizes = new Map<Digest, number>();
    for (const o of entry.outputs) {
      if ((sizes.get(o.digest) ?? o.size) !== o.size) throw new SizeMismatch(entry, `records two sizes for blob ${o.digest}`);
      sizes.set(o.digest, o.size);
    }
    // A blob this store has, of another size than the entry says, is either damaged here (read()
    // removes it, and it is fetched) or the entry's lie: a truncated local blob was blamed on the remote.
    const missing: Digest[] = [];
    for (const [d, size] of sizes) {
      const had = store.blobs.sizeSync(d);
      if (had === size) continue;
      if (had !== undefined && (await store.blobs.read(d).then(() => true, () => false))) throw new SizeMismatch(entry, `records ${size} bytes for blob ${d}, which has ${had}`);
      missing.push(d);
    }
    for (const d of missing) removed.delete(d);
    // Not onto a disk the build needs (diskReserve.ts).
    checkRoom(store.blobs.tmpDir, missing.reduce((n, d) => n + sizes.get(d)!, 0), missing.length);
    let bytes = 0;
    const fetchOne = async (d: Digest) => {
      const size = sizes.get(d)!;
      const data = await this.cache.getBlob(d, size);
      if (!data) throw new MissingBlob(d);
      if (data.length !== size) throw new SizeMismatch(entry, `records ${size} bytes for blob ${d}, which has ${data.length}`);
      await store.blobs.write(data, d);
      bytes += data.length;
    };
    // A blob is held whole in memory while it is fetched and verified: large ones come one at a
    // time, after the small ones, so that a build's memory is bounded by the largest blob, not eight
    // of them (an entry whose sizes a server lied about asked for up to 2 GiB each).
    const large = missing.filter((d) => sizes.get(d)! > LARGE_BLOB_BYTES);
    await eachLimit(missing.filter((d) => sizes.get(d)! <= LARGE_BLOB_BYTES), BLOB_CONCURRENCY, fetchOne);
    await eachLimit(large, 1, fetchOne);
    return bytes;
  }

  /** An output's blob fetched again and stored: removed from this store since it was found here (writtenAgain). */
  private async fetchAgain(entry: EntryRecord, name: string): Promise<{ digest: Digest }> {
    const o = entry.outputs.find((x) => x.name === name)!;
    const data = await this.cache.getBlob(o.digest, o.size);
    if (!data) throw new MissingBlob(o.digest);
    return { digest: await this.s.store.blobs.write(data, o.digest) };
  }

  /** Counts a lookup slower than SLOW_LOOKUP_MS, and tells the build (once a minute, as every such line). */
  private timed(ms: number): void {
    if (ms < SLOW_LOOKUP_MS) return;
    this.s.stats.count('remote', 'slowLookups');
    const line = `SPLITCACHE_REMOTE_SLOW: the remote took ${(ms / 1000).toFixed(1)} s to answer a lookup; each hit asks it at least twice in a row, so a remote this slow can cost more than it saves (SPLITCACHE_REMOTE_TIMEOUT sets how long a request may take)`;
    this.s.showLater?.('SPLITCACHE_REMOTE_SLOW', line);
  }

  /**
   * The published entry for these inputs that can serve the call's form. The
   * default form's entry comes first: it serves every form when it printed
   * nothing, which is most crates. Where it holds diagnostics (or there is
   * none) and the call asks for another form, that form's entry, which its
   * producer published beside it under a key of its own (entryKey.ts), is
   * asked for next. `display` is the form of the diagnostics the entry holds,
   * undefined when it holds none. Undefined when neither is published.
   * `inline`: the entry the input set carries, taken without a request when
   * its key is one asked for; the call's own form's, so, before the default's.
   * A call's form is never '' since the width is in it (diagnosticForm.ts), so
   * an entry at the default key that holds diagnostics, an older producer's,
   * serves no call of this version, and a producer of this version publishes
   * each result with diagnostics under its form's key alone: a call of another
   * form finds nothing for it (`remote-no-entry`, not `remote-diagnostic-form`,
   * which only an older producer's entry gives).
   */
  private async findEntry(
    q: RemoteQuery, inputs: [string, Digest][], envDeps: [string, string | null][], inline?: InlineEntry,
  ): Promise<{ entryKey: Digest; entry: EntryRecord; display?: string; form: string; inline: boolean } | { reason: string } | undefined> {
    const entryKey = entryKeyOf(q.manifestKey, inputs, envDeps);
    // `width=unread` is published by none (ingest.ts stores no result with diagnostics for it): not asked for.
    const formKey = q.form === '' || formOfNoResult(q.form) ? undefined : entryKeyOf(q.manifestKey, inputs, envDeps, q.form);
    const ofForm = async () => {
      const e = formKey && (await this.entryAt(formKey, inputs, inline));
      return e ? { entryKey: formKey, entry: e, display: hasDiagnostics(e.stderr) ? q.form : undefined, form: q.form, inline: e === inline?.entry } : undefined;
    };
    // A writer of the call's own form published last: its entry serves the call, with no request.
    if (formKey && inline?.key === formKey) return ofForm();
    const entry = await this.entryAt(entryKey, inputs, inline);
    const display = entry && hasDiagnostics(entry.stderr) ? '' : undefined;
    if (entry && (q.form === '' || display === undefined)) return { entryKey, entry, display, form: '', inline: entry === inline?.entry };
    if (!formKey) return entry ? { reason: 'remote-diagnostic-form' } : undefined;
    const found = await ofForm();
    if (found) return found;
    // Its diagnostics are in the default form, and no entry of the call's own was published.
    return entry ? { reason: 'remote-diagnostic-form' } : undefined;
  }

  /** The entry published at `entryKey` (or inline in the input set), which must record the inputs the key was computed from. */
  private async entryAt(entryKey: Digest, inputs: [string, Digest][], inline?: InlineEntry): Promise<EntryRecord | undefined> {
    // As the key holds them (sameInputs): an entry another checkout put in place of a lost one names its own paths
    // as they were, and one whose producer read the paths in another order than the input set lists them is the same.
    // An entry inline that records other inputs than its key's (a writer's bug) is left aside, as a malformed one is.
    if (inline?.key === entryKey && sameInputs(inline.entry.inputs, inputs)) return inline.entry;
    const entry = await this.cache.getEntry(entryKey);
    if (entry && !sameInputs(entry.inputs, inputs)) {
      throw new SplitcacheError('SPLITCACHE_REMOTE_RECORD', `remote entry ${entryKey} records other inputs than its key was computed from`);
    }
    return entry;
  }

  /**
   * The published inputs' digests on this machine: ABSENT where there is no
   * file (the producer recorded that for the other place a module could be
   * read from; where it recorded a digest, the entry key then differs and the
   * entry is not found), or undefined if one is something other than a file.
   * What the record may make this machine read is bounded (remoteInputReads.ts).
   */
  private async digestInputs(paths: string[], cwd: string, table: PrefixTable, reads: RemoteInputReads): Promise<[string, Digest][] | undefined> {
    const out: [string, Digest][] = [];
    for (const p of paths) {
      // An input's path as it was on the producer's machine (nearInputs.ts): where a file is there, its
      // digest, which must be the producer's; where none is, the caller's own copy stands for it.
      const near = splitNear(p);
      if (near) {
        const there = bigStatOf(near.raw);
        if (there && !there.isFile()) return undefined;
        if (there) {
          out.push([p, await reads.digest(near.raw, there)]);
          continue;
        }
      }
      const abs = inputOnDisk(cwd, table.expand(near?.path ?? p));
      // Only regular files: a record must not make the daemon read a FIFO or /dev/zero. A stat
      // is synchronous here, as in the digest memo: crates have hundreds of inputs, and one
      // thread-pool round trip each cost more than the system calls.
      const st = bigStatOf(abs);
      if (!st) {
        out.push([p, ABSENT]);
        continue;
      }
      if (!st.isFile()) return undefined;
      out.push([p, await reads.digest(abs, st)]);
    }
    return out;
  }

  private miss(): RemoteLookup {
    this.s.stats.count('remote', 'misses');
    return {};
  }

  private failed(err: unknown): RemoteLookup {
    const code = err instanceof SplitcacheError ? err.code : 'SPLITCACHE_STORE_IO';
    if (code === 'SPLITCACHE_REMOTE_BREAKER_OPEN') {
      this.s.stats.count('remote', 'skipped');
      // With the fault that opened it, for `explain`: "the breaker was open" alone left the reader to find why in daemon.log.
      const cause = (err as Error).cause;
      return { reason: cause instanceof SplitcacheError ? `remote-skipped:${cause.code}` : 'remote-skipped' };
    }
    this.s.stats.count('remote', 'errors');
    this.s.stats.count('errors', code);
    const now = Date.now();
    if ((this.lastWarned.get(code) ?? 0) < now - 60_000) {
      this.lastWarned.set(code, now);
      this.s.log.warn(`remote lookup: ${oneLine(err)}`);
    }
    // The build is told too, once a minute: only daemon.log said it, and a team's remote that was
    // down (or a signing key that differs) went unnoticed while every build missed it.
    this.s.showLater?.(code, `${oneLine(err)} (a remote lookup; building without it)`);
    return { reason: REASONS[code] ?? `remote-error:${code}` };
  }
}

const REASONS: Record<string, string> = {
  SPLITCACHE_REMOTE_SIGNATURE: 'remote-signature',
  SPLITCACHE_REMOTE_DIGEST: 'remote-digest',
  SPLITCACHE_REMOTE_RECORD: 'remote-record',
  SPLITCACHE_MANIFEST_HOSTILE: 'remote-record',
};

/** An entry whose recorded sizes are not its blobs': a record fault; an inline one gives way to the entry at its key. */
class SizeMismatch extends SplitcacheError {
  constructor(entry: EntryRecord, what: string) {
    super('SPLITCACHE_REMOTE_RECORD', `remote entry for ${entry.crateName} ${what}`);
  }
}

class MissingBlob extends Error {
  constructor(readonly digest: Digest) {
    super(`remote blob ${digest} is missing`);
  }
}
