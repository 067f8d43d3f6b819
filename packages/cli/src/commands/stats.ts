import type { Stats } from '@splitcache/daemon';
import { daemonRequest } from './daemonRequest.js';

/** `splitcache stats [--json]`: counters from the daemon (started if needed: stats live in the store). */
export async function runStats(args: string[]): Promise<number> {
  const reply = await daemonRequest<{ stats: Stats; dir: string }>({ op: 'stats' }, true);
  if (!reply?.stats) {
    process.stderr.write('splitcache: SPLITCACHE_DAEMON_UNREACHABLE: cannot reach the daemon\n');
    return 1;
  }
  const s = reply.stats;
  if (args.includes('--json')) {
    process.stdout.write(JSON.stringify({ dir: reply.dir, ...s }, null, 2) + '\n');
    return 0;
  }
  const calls = s.hits + s.misses;
  const rows: [string, string][] = [
    ['store', reply.dir],
    ['hits', String(s.hits)],
    ['misses', String(s.misses)],
    ['hit rate', calls ? `${((100 * s.hits) / calls).toFixed(1)} %` : '-'],
    ['compile errors (not cached)', String(s.compileErrors)],
    ['bytes restored', String(s.bytesRestored)],
    ['bytes stored', String(s.bytesStored)],
    ['time saved', `${(s.timeSavedMs / 1000).toFixed(1)} s`],
  ];
  for (const [k, v] of Object.entries(s.passthrough)) rows.push([`pass-through: ${k}`, String(v)]);
  for (const [k, v] of Object.entries(s.notStored)) rows.push([`not stored: ${k}`, String(v)]);
  for (const [k, v] of Object.entries(s.errors)) rows.push([`cache error: ${k}`, String(v)]);
  const w = Math.max(...rows.map(([k]) => k.length));
  let out = rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n') + '\n\n';
  out += `${'crate type'.padEnd(14)} ${'hits'.padStart(6)} ${'misses'.padStart(6)} ${'pass'.padStart(6)}\n`;
  for (const [t, c] of Object.entries(s.byType).sort()) {
    out += `${t.padEnd(14)} ${String(c.hits).padStart(6)} ${String(c.misses).padStart(6)} ${String(c.passthrough).padStart(6)}\n`;
  }
  process.stdout.write(out);
  return 0;
}
