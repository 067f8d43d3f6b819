import type { GcResult } from '@splitcache/store';
import { parseAge, parseSize } from '@splitcache/store';
import { daemonRequest, noReply } from './daemonRequest.js';
import { readCommandLine, type CommandSpec } from './flags.js';
import { progressBar } from './progressBar.js';

export const GC: CommandSpec = {
  name: 'gc',
  valued: ['max-size', 'evict-older-than'],
  switches: ['json'],
  usage: `usage: splitcache gc [--max-size 5G] [--evict-older-than 30d] [--json]
Evicts the least recently hit entries now, until the store fits its size limit, and removes the
blobs no entry needs. It also runs by itself once the store grows past SPLITCACHE_MAX_SIZE.
  --max-size N           the limit for this run (K, M, G, T: powers of 1024) instead of
                         SPLITCACHE_MAX_SIZE (default 10G)
  --evict-older-than A   also evict every entry not hit for A (30d, 12h, 45m, 90s)
  --json                 print what it did as JSON`,
};

/** `splitcache gc [--max-size 5G] [--evict-older-than 30d] [--json]`: LRU eviction now. */
export async function runGc(args: string[]): Promise<number> {
  const f = readCommandLine(args, GC);
  if (typeof f === 'number') return f;
  const maxBytes = f['max-size'] !== undefined ? parseSize(f['max-size']) : undefined;
  const olderThanMs = f['evict-older-than'] !== undefined ? parseAge(f['evict-older-than']) : undefined;
  if ((f['max-size'] !== undefined && maxBytes === undefined) || (f['evict-older-than'] !== undefined && olderThanMs === undefined)) {
    process.stderr.write('splitcache: SPLITCACHE_CONFIG: --max-size takes a size like 5G, --evict-older-than an age like 30d\n');
    return 2;
  }
  const bar = progressBar();
  const r = await daemonRequest<GcResult & { error?: string }>({ op: 'gc', maxBytes, olderThanMs }, true, bar.update);
  bar.done();
  if (!r || r.error) return noReply(r);
  if (f.json) process.stdout.write(JSON.stringify(r) + '\n');
  else process.stdout.write(`gc: evicted ${r.entriesEvicted} of ${r.entriesBefore} entries, removed ${r.blobsRemoved} blobs (${r.bytesRemoved} bytes); ${r.bytesKept} bytes kept\n`);
  return 0;
}
