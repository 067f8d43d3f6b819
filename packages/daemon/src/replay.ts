import { mkdir } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { rewriteRlink, type PrefixTable } from '@splitcache/paths';
import { writeFileAtomic, type EntryRecord, type Store } from '@splitcache/store';
import { SplitcacheError } from '@splitcache/errors';
import { checkOutputName } from './outputNames.js';
import type { RustcIdentity } from './rustcIdentity.js';

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
): Promise<Replayed> {
  if (entry.rustcVersion !== rustc.version) {
    throw new SplitcacheError('SPLITCACHE_RLINK_RUSTC_MISMATCH', `entry was made by ${entry.rustcVersion}, not ${rustc.version}`);
  }
  const outDir = resolve(cwd, outDirArg);
  await mkdir(outDir, { recursive: true });
  // Read and verify everything before writing anything.
  const files: [string, Uint8Array][] = [];
  let bytes = 0;
  for (const o of entry.outputs) {
    const name = checkOutputName(o.name);
    const stored = await store.blobs.read(o.digest);
    let data: Uint8Array = stored;
    if (o.form === 'text') data = Buffer.from(table.expandText(stored.toString('utf8')));
    else if (o.form === 'rlink') data = rewriteRlink(stored, (s) => table.expand(s), { expectRustcVersion: rustc.rlinkVersion });
    files.push([resolve(outDir, name), data]);
    bytes += data.length;
  }
  for (const [dest, data] of files) await writeAtomic(dest, data);
  return {
    stdout: Buffer.from(table.expandText(Buffer.from(entry.stdout).toString('utf8'))),
    stderr: Buffer.from(table.expandText(Buffer.from(entry.stderr).toString('utf8'))),
    bytes,
  };
}

async function writeAtomic(dest: string, data: Uint8Array): Promise<void> {
  try {
    await writeFileAtomic(`${dest}.sc-${randomBytes(4).toString('hex')}`, dest, data, 0o644);
  } catch (cause) {
    throw new SplitcacheError('SPLITCACHE_REPLAY', `cannot write ${dest}: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`, { cause });
  }
}
