import type { GcResult } from '@splitcache/store';
import { formatBytes, parseAge, parseSize } from '@splitcache/store/gc';
import { settingValue } from '@splitcache/daemon/protocol';
import { daemonRequest, noReply } from './daemonRequest.js';
import { readCommandLine, usageError, type CommandSpec } from './flags.js';
import { progressBar } from './progressBar.js';

export const GC: CommandSpec = {
  name: 'gc',
  valued: ['max-size', 'evict-older-than'],
  switches: ['json'],
  usage: `usage: splitcache gc [--max-size 5G] [--evict-older-than 30d] [--json]
Evicts the least recently hit entries now, until the store fits its size limit, and removes the
blobs no entry needs, and the audit log's lines older than SPLITCACHE_AUDIT_DAYS (90). It also
runs by itself once the store grows past SPLITCACHE_MAX_SIZE.
  --max-size N           the limit for this run (K, M, G, T: powers of 1024) instead of
                         SPLITCACHE_MAX_SIZE (default 10G); 0: no size limit, as in the
                         setting, so only --evict-older-than evicts
  --evict-older-than A   also evict every entry not hit for A (30d, 12h, 45m, 90s)
  --json                 print what it did as JSON`,
};

/** `splitcache gc [--max-size 5G] [--evict-older-than 30d] [--json]`: LRU eviction now. */
export async function runGc(args: string[]): Promise<number> {
  const f = readCommandLine(args, GC);
  if (typeof f === 'number') return f;
  // SPLITCACHE_MAX_SIZE in this shell is the limit for this run, as the usage says, and as
  // `CCACHE_MAXSIZE=50M ccache -c` does: the daemon's own (set when it started) was used, and
  // `gc: evicted 0 of 42 entries` left the store over the limit asked for.
  const setting = settingValue(process.env, 'SPLITCACHE_MAX_SIZE');
  const fromEnv = f['max-size'] === undefined && setting !== undefined ? parseSize(setting) : undefined;
  if (f['max-size'] === undefined && setting !== undefined && fromEnv === undefined) {
    process.stderr.write(`splitcache: SPLITCACHE_CONFIG: SPLITCACHE_MAX_SIZE is not a size such as 10G or 500M (0: no limit): ${JSON.stringify(setting)}; using the daemon's limit\n`);
  }
  const size = f['max-size'] !== undefined ? parseSize(f['max-size']) : fromEnv;
  const olderThanMs = f['evict-older-than'] !== undefined ? parseAge(f['evict-older-than']) : undefined;
  if (f['max-size'] !== undefined && size === undefined) return usageError(GC, `--max-size takes a size such as 5G (0: no limit), not '${f['max-size']}'`);
  if (f['evict-older-than'] !== undefined && olderThanMs === undefined) return usageError(GC, `--evict-older-than takes an age such as 30d, not '${f['evict-older-than']}'`);
  // 0 is no limit, as SPLITCACHE_MAX_SIZE=0 (docs/CONFIG.md). The request is JSON, where
  // Infinity would be null (the daemon's own limit): the largest number is one no store reaches.
  const maxBytes = size === 0 ? Number.MAX_VALUE : size;
  const bar = progressBar();
  const r = await daemonRequest<GcResult & { error?: string }>({ op: 'gc', maxBytes, olderThanMs }, true, bar.update);
  bar.done();
  if (!r || r.error) return noReply(r);
  if (f.json) process.stdout.write(JSON.stringify(r) + '\n');
  else {
    const audit = r.auditLinesRemoved > 0 ? `; ${r.auditLinesRemoved} audit log lines older than SPLITCACHE_AUDIT_DAYS removed` : '';
    // Sizes as `stats` shows them (binary units); --json keeps the byte counts.
    process.stdout.write(`gc: evicted ${r.entriesEvicted} of ${r.entriesBefore} entries, removed ${r.blobsRemoved} blobs (${formatBytes(r.bytesRemoved)}); ${formatBytes(r.bytesKept)} kept${audit}${damagedRecords(r.damagedRecords)}\n`);
  }
  return 0;
}

/** The words for index records gc or verify dropped for their shape (none: none). */
export function damagedRecords(n: number | undefined, crates: string[] = []): string {
  const of = crates.length ? `: ${crates.join(', ')}` : '';
  return n ? `; ${n} damaged index record${n === 1 ? '' : 's'} dropped (SPLITCACHE_MANIFEST_MALFORMED${of})` : '';
}
