import { statSync, unlinkSync, type BigIntStats } from 'node:fs';
import { rename, rm, unlink } from 'node:fs/promises';
import { resolve } from 'node:path';
import { addChecksumTwins, addDepInfoInputs, dropRepeatedInputs, expandDepInfo, expandOutput, listRlinkPaths, rewriteRlink, type PrefixTable } from '@splitcache/paths';
import type { Invocation } from '@splitcache/rustc';
import { makeDirsSync, tempSuffix, writeFileAtomic, writeFileAtomicSync, type EntryRecord, type Store } from '@splitcache/store';
import { SplitcacheError } from '@splitcache/errors';
import { checkOutputName } from './outputNames.js';
import { nearElsewhere, recordedTwins } from './nearInputs.js';
import { foreignCrateFile } from './rlinkCrates.js';
import { sweepStaleTemps } from './staleTemps.js';
import { linkDeletes, ownSuffix, type LinkedCall } from './privateObjects.js';
import type { RustcIdentity } from './rustcIdentity.js';
import { SYNC_IO_MAX_BYTES, type FileDigestMemo } from '@splitcache/hash';

export interface Replayed {
  stdout: Buffer;
  stderr: Buffer;
  bytes: number;
  /** The objects written under names of the call's own for its link step (`ownObjects`), which its `.rlink` names. */
  objects: string[];
}

/**
 * Writes an entry's outputs where rustc would have written them, with this
 * machine's paths put back. Every blob is verified as it is read; a bad one
 * throws (SPLITCACHE_BLOB_*), and the caller turns the hit into a miss.
 * Each file is written to a temp name and renamed, so a failure leaves no
 * half-written output.
 */
export async function replay(
  store: Store,
  entry: EntryRecord,
  inv: Pick<Invocation, 'outDir' | 'externs' | 'libPaths'> & LinkedCall,
  cwd: string,
  table: PrefixTable,
  rustc: Pick<RustcIdentity, 'version' | 'rlinkVersion' | 'host'>,
  files?: FileDigestMemo,
  /**
   * The outputs' mode: what rustc's would have under the caller's umask (0o666 & ~umask, as
   * rustc creates them), set exactly. Written with the daemon's own umask, a build under
   * umask 077 got world-readable rlibs (and an output over 1 MiB was always 0644).
   */
  mode = 0o644,
  /** The call has a link step: the objects it deletes are written under names of the call's own (privateObjects.ts). */
  ownObjects = false,
): Promise<Replayed> {
  if (entry.rustcVersion !== rustc.version) {
    throw new SplitcacheError('SPLITCACHE_RLINK_RUSTC_MISMATCH', `entry was made by ${entry.rustcVersion}, not ${rustc.version}`);
  }
  const outDir = resolve(cwd, inv.outDir!);
  try {
    // There when the lookup looked (an out dir not there is a miss: unlikePlain.ts); made here only
    // where it went between that look and this replay. One stat, where a recursive mkdir would fail
    // with EEXIST and then stat.
    if (!statSync(outDir, { throwIfNoEntry: false })?.isDirectory()) makeDirsSync(outDir);
  } catch (cause) {
    throw new SplitcacheError('SPLITCACHE_REPLAY', `cannot create ${outDir}: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`, { cause });
  }
  sweepStaleTemps(outDir);
  // Verify everything before putting anything in place. A large raw output
  // (an rlib, an object) is copied from its blob to a temp name beside its
  // place, verified on the way, through a reused buffer (store's
  // copyDigesting.ts); the rest is read whole and verified, then written.
  // Small files use synchronous calls (a few microseconds each, against a
  // thread-pool round trip per call for fs/promises).
  // Every copy settles before a failure is thrown, so none is left behind.
  const elsewhere = nearElsewhere(entry.inputs, cwd, table);
  // A path the hit's dep-info names that its rustc did not read gets the checksum line of its twin (nightly).
  const twins = new Map([...recordedTwins(entry.inputs, cwd, table), ...elsewhere]);
  // The inputs recorded as they are, named so in the stored dep-info too (dropRepeatedInputs).
  const asIs = entry.inputs.flatMap(([p]) => (p.startsWith('/') ? [p] : []));
  // Each object the link step deletes, by its place, at a name of this call's (privateObjects.ts).
  const suffix = ownObjects ? ownSuffix() : '';
  const own = new Map(ownObjects ? entry.outputs.filter((o) => o.role === 'object' && linkDeletes(o.name, inv, rustc.host)).map((o) => [resolve(outDir, o.name), resolve(outDir, o.name) + suffix]) : []);
  const settled = await Promise.allSettled(
    entry.outputs.map(async (o): Promise<Written> => {
      const place = resolve(outDir, checkOutputName(o.name));
      const dest = own.get(place) ?? place;
      if (o.form === 'raw' && o.size > SYNC_IO_MAX_BYTES) {
        const tmp = tempBeside(dest);
        try {
          return { dest, size: await store.blobs.copyOut(o.digest, tmp, mode), tmp };
        } catch (cause) {
          throw replayError(cause, tmp);
        }
      }
      const stored = await store.blobs.read(o.digest, o.size);
      let data: Uint8Array = stored;
      if (o.form === 'text') {
        const added = addDepInfoInputs(expandDepInfo(stored.toString('utf8'), table), [...elsewhere.keys()]);
        data = Buffer.from(addChecksumTwins(dropRepeatedInputs(added, [...asIs, ...elsewhere.keys()]), twins));
      }
      else if (o.form === 'rlink') data = expandRlink(stored, inv, cwd, table, rustc.rlinkVersion, own);
      return { dest, size: data.length, data };
    }),
  );
  const failed = settled.find((r) => r.status === 'rejected');
  const written = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  if (failed) {
    await Promise.all(written.map((w) => (w.tmp ? rm(w.tmp, { force: true }) : undefined)));
    throw failed.reason;
  }
  const stamps = await Promise.all(written.map((w) => (w.data ? writeAtomic(w.dest, w.data, mode) : moveInto(w.tmp!, w.dest))));
  // An rlib or rmeta written here is an --extern of the crates built next: they
  // take its digest from the memo instead of reading it back. A file written
  // synchronously comes with its stamp; a large copy is stat'ed afterwards, not
  // awaited (a dependant that asks first simply reads the file).
  entry.outputs.forEach((o, i) => {
    if (o.form !== 'raw' || o.role !== 'output' || !files) return;
    const st = stamps[i];
    if (st) files.record(written[i]!.dest, o.digest, st);
    else void files.remember(written[i]!.dest, o.digest);
  });
  const bytes = written.reduce((n, w) => n + w.size, 0);
  return {
    stdout: expandOutput(entry.stdout, table),
    stderr: expandOutput(entry.stderr, table),
    bytes,
    objects: [...own.values()],
  };
}

/**
 * A stored .rlink with this call's paths put back. One that links a crate from elsewhere in
 * place of one of this call's own (stored before such entries were refused: rlinkCrates.ts)
 * is not replayed: its link step would read another checkout's files.
 */
function expandRlink(stored: Buffer, inv: Pick<Invocation, 'externs' | 'libPaths'>, cwd: string, table: PrefixTable, rlinkVersion: string, own: Map<string, string>): Buffer {
  const foreign = foreignCrateFile(listRlinkPaths(stored), inv, cwd, table);
  if (foreign) throw new SplitcacheError('SPLITCACHE_RLINK_FOREIGN_CRATE', `the entry's .rlink links ${foreign} in place of this call's own crate of that name; entry evicted`);
  try {
    return rewriteRlink(stored, (s) => own.get(resolve(cwd, table.expand(s))) ?? table.expand(s), { expectRustcVersion: rlinkVersion });
  } catch (err) {
    // A path of this call's that no .rlink can hold (a control character in it: prefixes.ts,
    // rlinkUnwritable, passes most such calls through first): the entry is not at fault, and stays.
    if (err instanceof TypeError) throw new SplitcacheError('SPLITCACHE_REPLAY', `this call's paths can't be written into a .rlink (${err.message}); its crate compiles plainly`, { cause: err });
    throw err;
  }
}

/** One output ready to go in place: its bytes, or a verified copy at `tmp`. */
interface Written {
  dest: string;
  size: number;
  data?: Uint8Array;
  tmp?: string;
}

/** A temp name beside `dest`, in the form staleTemps.ts sweeps: `<dest>.sc-replay-<pid36>-<n36>-<random>`. */
const tempBeside = (dest: string) => `${dest}.sc-replay-${tempSuffix()}`;

function replayError(cause: unknown, dest: string): SplitcacheError {
  if (cause instanceof SplitcacheError) return cause;
  return new SplitcacheError('SPLITCACHE_REPLAY', `cannot write ${dest}: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`, { cause });
}

/** Renames a verified copy into place (an older file unlinked first: see writeAtomic). */
async function moveInto(tmp: string, dest: string): Promise<void> {
  try {
    await unlink(dest).catch(() => undefined);
    await rename(tmp, dest);
  } catch (cause) {
    await rm(tmp, { force: true });
    throw replayError(cause, dest);
  }
}

/**
 * Writes to a temp name, then renames. An older copy of the file is unlinked
 * first rather than renamed over: on ext4, a rename that replaces a file
 * makes the kernel start writing the new file's data out at once
 * (auto_da_alloc), and the hit would wait on the disk. A small file, written
 * synchronously, comes back with its stamp (writeFileAtomicSync).
 */
async function writeAtomic(dest: string, data: Uint8Array, mode: number): Promise<BigIntStats | undefined> {
  const tmp = tempBeside(dest);
  try {
    if (data.length <= SYNC_IO_MAX_BYTES) {
      try {
        unlinkSync(dest);
      } catch {
        /* usually absent */
      }
      return writeFileAtomicSync(tmp, dest, data, mode, true);
    } else {
      const old = unlink(dest).catch(() => undefined);
      await writeFileAtomic(tmp, dest, data, mode, () => old, true);
      return undefined;
    }
  } catch (cause) {
    throw replayError(cause, dest);
  }
}
