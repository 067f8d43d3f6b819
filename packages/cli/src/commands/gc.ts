import type { GcResult } from '@splitcache/store';
import { parseAge, parseSize } from '@splitcache/store';
import { daemonRequest, noReply } from './daemonRequest.js';
import { parseFlags } from './flags.js';
import { progressBar } from './progressBar.js';

/** `splitcache gc [--max-size 5G] [--evict-older-than 30d] [--json]`: LRU eviction now. */
export async function runGc(args: string[]): Promise<number> {
  const f = parseFlags(args, ['max-size', 'evict-older-than']);
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
