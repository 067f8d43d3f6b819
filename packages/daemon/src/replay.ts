import { mkdirSync, unlinkSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { resolve } from 'node:path';
import { rewriteRlink, type PrefixTable } from '@splitcache/paths';
import { tempSuffix, writeFileAtomic, writeFileAtomicSync, type EntryRecord, type Store } from '@splitcache/store';
import { SplitcacheError } from '@splitcache/errors';
import { checkOutputName } from './outputNames.js';
import type { RustcIdentity } from './rustcIdentity.js';
import { SYNC_IO_MAX_BYTES, type FileDigestMemo } from '@splitcache/hash';

export interface Replayed {
  stdout: Buffer;
  stderr: Buffer;
  bytes: number;
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
  outDirArg: string,
  cwd: string,
  table: PrefixTable,
  rustc: Pick<RustcIdentity, 'version' | 'rlinkVersion'>,
  files?: FileDigestMemo,
): Promise<Replayed> {
  if (entry.rustcVersion !== rustc.version) {
    throw new SplitcacheError('SPLITCACHE_RLINK_RUSTC_MISMATCH', `entry was made by ${entry.rustcVersion}, not ${rustc.version}`);
  }
  const outDir = resolve(cwd, outDirArg);
  // Read and verify everything before writing anything. Small files are read
  // and written with synchronous calls (a few microseconds each, against a
  // thread-pool round trip per call for fs/promises); large ones go through
  // the pool together, each in one read or write call (store's wholeFile.ts).
  const written = await Promise.all(
    entry.outputs.map(async (o): Promise<[string, Uint8Array]> => {
      const dest = resolve(outDir, checkOutputName(o.name));
      const stored = await store.blobs.read(o.digest, o.size);
      if (o.form === 'text') return [dest, Buffer.from(table.expandText(stored.toString('utf8')))];
      if (o.form === 'rlink') return [dest, rewriteRlink(stored, (s) => table.expand(s), { expectRustcVersion: rustc.rlinkVersion })];
      return [dest, stored];
    }),
  );
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (cause) {
    throw new SplitcacheError('SPLITCACHE_REPLAY', `cannot create ${outDir}: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`, { cause });
  }
  await Promise.all(written.map(([dest, data]) => writeAtomic(dest, data)));
  // An rlib or rmeta written here is an --extern of the crates built next: they
  // take its digest from the memo instead of reading it back. Not awaited: the
  // hit's answer need not wait for these stats (a dependant that asks first
  // simply reads the file).
  void Promise.all(entry.outputs.map((o, i) => (o.form === 'raw' && o.role === 'output' ? files?.remember(written[i]![0], o.digest) : undefined)));
  const bytes = written.reduce((n, [, data]) => n + data.length, 0);
  return {
    stdout: Buffer.from(table.expandText(Buffer.from(entry.stdout).toString('utf8'))),
    stderr: Buffer.from(table.expandText(Buffer.from(entry.stderr).toString('utf8'))),
    bytes,
  };
}

/**
 * Writes to a temp name, then renames. An older copy of the file is unlinked
 * first rather than renamed over: on ext4, a rename that replaces a file
 * makes the kernel start writing the new file's data out at once
 * (auto_da_alloc), and the hit would wait on the disk.
 */
async function writeAtomic(dest: string, data: Uint8Array): Promise<void> {
  const tmp = `${dest}.sc-${tempSuffix()}`;
  try {
    if (data.length <= SYNC_IO_MAX_BYTES) {
      try {
        unlinkSync(dest);
      } catch {
        /* usually absent */
      }
      writeFileAtomicSync(tmp, dest, data, 0o644);
    } else {
      const old = unlink(dest).catch(() => undefined);
      await writeFileAtomic(tmp, dest, data, 0o644, () => old);
    }
  } catch (cause) {
    throw new SplitcacheError('SPLITCACHE_REPLAY', `cannot write ${dest}: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`, { cause });
  }
}
