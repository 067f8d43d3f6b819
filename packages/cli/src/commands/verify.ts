import type { VerifyResult } from '@splitcache/store';
import { daemonRequest, noReply } from './daemonRequest.js';
import { damagedRecords } from './gc.js';
import { readCommandLine, type CommandSpec } from './flags.js';
import { progressBar } from './progressBar.js';

export const VERIFY: CommandSpec = {
  name: 'audit verify',
  switches: ['json'],
  usage: `usage: splitcache audit verify [--json]
Re-hashes every blob in the store, names each one whose bytes don't match its digest
(SPLITCACHE_BLOB_CORRUPT) or that is gone (SPLITCACHE_BLOB_MISSING), and evicts the entries
that need one, naming their crates, and drops the index records that are damaged
(SPLITCACHE_MANIFEST_MALFORMED), counting them. Exits 1 if it found anything damaged
or gone (a blob or a record), as fsck does, though what it found is evicted by then.
  --json         print the result as JSON`,
};

/** `splitcache audit verify [--json]`: re-hash every blob; report and evict what is bad. */
export async function runVerify(args: string[]): Promise<number> {
  const f = readCommandLine(args, VERIFY);
  if (typeof f === 'number') return f;
  const bar = progressBar();
  const r = await daemonRequest<VerifyResult & { error?: string }>({ op: 'verify' }, true, bar.update);
  bar.done();
  if (!r || r.error) return noReply(r);
  if (f.json) {
    process.stdout.write(JSON.stringify(r) + '\n');
  } else {
    const of = r.evictedCrates?.length ? ` (${r.evictedCrates.join(', ')})` : '';
    process.stdout.write(`verify: ${r.entries} entries, ${r.blobsChecked} blobs checked, ${r.badBlobs.length} bad, ${r.entriesEvicted} entries evicted${of}${damagedRecords(r.damagedRecords, r.damagedCrates)}\n`);
    const missing = new Set(r.missingBlobs ?? []);
    for (const b of r.badBlobs) process.stdout.write(`  ${missing.has(b) ? 'SPLITCACHE_BLOB_MISSING' : 'SPLITCACHE_BLOB_CORRUPT'} ${b}\n`);
  }
  return r.badBlobs.length > 0 || (r.damagedRecords ?? 0) > 0 ? 1 : 0;
}
