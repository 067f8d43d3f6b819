import type { Stats, StoreUsage } from '@splitcache/daemon';
import { formatBytes } from '@splitcache/store/gc';
import type { AuditEvent } from '@splitcache/store';
import { daemonRequest, noReply } from './daemonRequest.js';
import { readCommandLine, usageError, type CommandSpec, type Flags } from './flags.js';
import { badSince, SINCE_HELP, sinceTime } from './sinceTime.js';
import { badOrigin, filterEvents, summarise, summaryLine } from './summary.js';

export const STATS: CommandSpec = {
  name: 'stats',
  valued: ['session', 'crate', 'since', 'origin'],
  switches: ['json', 'zero'],
  usage: `usage: splitcache stats [--json] [--session S] [--crate C] [--since T] [--origin O]
       splitcache stats --zero
The store's size against its limit, hits, misses, pass-throughs by reason and counts per crate type.
With --session, --crate, --since or --origin, the calls that match, counted from the audit log.
  --json         print them as JSON
  --session S    only calls of build session S (\`splitcache cargo\` makes one per build)
  --crate C      only calls of crate C, or of package C (its build script too)
${SINCE_HELP}
  --origin O     only hits from O (local, remote), or \`miss\` for the misses
  --zero         set the counters back to zero (the audit log is kept); takes no other option
Also spelled -s or --show-stats, as in sccache; --zero as -z or --zero-stats.`,
};

/** `splitcache stats [--json] [--zero]`: counters from the daemon (started if needed: stats live in the store). */
export async function runStats(args: string[]): Promise<number> {
  const f = readCommandLine(args, STATS);
  if (typeof f === 'number') return f;
  if (f.switches.has('zero')) {
    if (args.length > 1) return usageError(STATS, '--zero takes no other option');
    const r = await daemonRequest<{ zeroed?: boolean }>({ op: 'zero-stats' }, true);
    if (!r?.zeroed) return noReply(r);
    process.stdout.write('splitcache: statistics zeroed (the audit log is kept)\n');
    return 0;
  }
  if (f.session || f.crate || f.since || f.origin) return filteredStats(f);
  const reply = await daemonRequest<{ stats: Stats; dir: string; usage?: StoreUsage; storeHung?: boolean; stale?: string[]; problems?: string[] }>({ op: 'stats', env: process.env }, true);
  if (!reply?.stats) return noReply(reply);
  const s = reply.stats;
  const u = reply.usage;
  if (f.json) {
    process.stdout.write(JSON.stringify({ dir: reply.dir, ...s, ...(u ? { usage: u } : {}), ...(reply.storeHung ? { storeHung: true } : {}) }, null, 2) + '\n');
    return 0;
  }
  const calls = s.hits + s.misses;
  const rows: [string, string][] = [['store', reply.dir]];
  if (u) {
    // Against the limit, what gc holds to it: the blobs. With the index in it, a store gc'd to 50 MiB
    // read 51.2 MiB of 50 (a helper's long run); the index (mostly the audit log) is shown apart.
    const size = u.blobBytes;
    // maxBytes is Infinity (null in --json) under SPLITCACHE_MAX_SIZE=0.
    const limit = Number.isFinite(u.maxBytes) ? `of ${formatBytes(u.maxBytes)} (${((100 * size) / u.maxBytes).toFixed(1)} %)` : '(no size limit)';
    rows.push(['store size', `${formatBytes(size)} ${limit}, ${u.blobs} blobs; index ${formatBytes(u.indexBytes)}`]);
  } else if (reply.storeHung) {
    rows.push(['store size', 'not known: its file system takes no writes (SPLITCACHE_STORE_HUNG)']);
  }
  rows.push(
    ['hits', String(s.hits)],
    ['misses', String(s.misses)],
    ['hit rate', calls ? `${((100 * s.hits) / calls).toFixed(1)} %` : '-'],
    ['compile errors (not cached)', String(s.compileErrors)],
    ['bytes restored', formatBytes(s.bytesRestored)],
    ['bytes stored', formatBytes(s.bytesStored)],
    ['time saved', `${(s.timeSavedMs / 1000).toFixed(1)} s`],
  );
  // Absent from an older daemon's stats.
  if (s.evicted) rows.push(['entries evicted', String(s.evicted)]);
  if (s.zeroedAt) rows.push(['zeroed', new Date(s.zeroedAt).toISOString()]);
  // cargo's dev profile compiles incrementally, never cached: a store used through RUSTC_WRAPPER alone shows only this.
  for (const [k, v] of Object.entries(s.passthrough)) rows.push([`pass-through: ${k}`, k === 'incremental' ? `${v}  (CARGO_INCREMENTAL=0 caches those)` : String(v)]);
  for (const [k, v] of Object.entries(s.notStored)) rows.push([`not stored: ${k}`, String(v)]);
  for (const [k, v] of Object.entries(s.errors)) rows.push([`cache error: ${k}`, String(v)]);
  // The remote's counters by their names in words (`downloadedBytes`: `downloaded`, in binary units as the rest); --json keeps the names.
  for (const [k, v] of Object.entries(s.remote ?? {})) {
    const bytes = k.endsWith('Bytes');
    // `errors` are the lookups' alone: `cache error: SPLITCACHE_REMOTE_*` counts the uploads' too, and read as a count one short.
    const name = k === 'errors' ? 'lookup errors' : k.replace(/Bytes$/, '').replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`);
    rows.push([`remote: ${name}`, bytes ? formatBytes(v) : String(v)]);
  }
  const w = Math.max(...rows.map(([k]) => k.length));
  let out = rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n') + '\n\n';
  const tw = Math.max(14, ...Object.keys(s.byType).map((t) => t.length));
  out += `${'crate type'.padEnd(tw)} ${'hits'.padStart(6)} ${'misses'.padStart(6)} ${'pass'.padStart(6)}\n`;
  for (const [t, c] of Object.entries(s.byType).sort()) {
    out += `${t.padEnd(tw)} ${String(c.hits).padStart(6)} ${String(c.misses).padStart(6)} ${String(c.passthrough).padStart(6)}\n`;
  }
  // A limit set in this shell and not the daemon's showed the daemon's (`of 100.0 MiB`) with no word, as `server status` gives.
  if (reply.stale?.length) out += `\nsettings that differ from this shell's: ${reply.stale.join(', ')} (\`splitcache server stop\` applies them)\n`;
  // This shell's settings it can't use (a limit that doesn't parse shows the default in force above), as `server status` names them.
  if (reply.problems?.length) out += `${reply.stale?.length ? '' : '\n'}${reply.problems.map((p) => `setting not used: ${p}\n`).join('')}`;
  process.stdout.write(out);
  return 0;
}

/** With a filter, stats are counted from the audit log rather than the running totals. */
async function filteredStats(f: Flags): Promise<number> {
  const since = sinceTime(f.since);
  if (since === undefined) return usageError(STATS, badSince(f.since));
  const origin = badOrigin(f.origin);
  if (origin) return usageError(STATS, origin);
  const r = await daemonRequest<{ events: AuditEvent[] }>({ op: 'audit', since, parts: true }, true);
  if (!r?.events) return noReply(r);
  const s = summarise(filterEvents(r.events, f));
  if (f.json) process.stdout.write(JSON.stringify(s, null, 2) + '\n');
  else process.stdout.write(summaryLine(s).replace(/^splitcache: /, '') + '\n');
  return 0;
}
