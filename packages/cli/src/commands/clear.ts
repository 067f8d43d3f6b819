import type { GcResult } from '@splitcache/store';
import { formatBytes } from '@splitcache/store/gc';
import { daemonRequest, noReply } from './daemonRequest.js';
import { readCommandLine, type CommandSpec } from './flags.js';
import { progressBar } from './progressBar.js';

export const CLEAR: CommandSpec = {
  name: 'clear',
  valued: [],
  switches: ['json'],
  usage: `usage: splitcache clear [--json]
Removes every entry and blob from the local store, as \`ccache -C\` does: the next build
compiles everything again. The counters (\`stats\`), the audit log and the settings are kept,
and a remote is not touched. Also spelled -C or --clear, as in ccache.
  --json   print what it did as JSON`,
};

/**
 * `splitcache clear`: the store emptied, through the daemon (which owns the index), as a gc to a
 * limit no entry fits. There was no way but `rm -rf` of the store dir, under a running daemon, or
 * `gc --max-size 1`, which no doc named (a sccache migrant's finding).
 */
export async function runClear(args: string[]): Promise<number> {
  const f = readCommandLine(args, CLEAR);
  if (typeof f === 'number') return f;
  const bar = progressBar();
  // maxBytes too, for a daemon older than `clear`, which takes it for a gc to one byte.
  const r = await daemonRequest<GcResult & { error?: string }>({ op: 'gc', maxBytes: 1, clear: true }, true, bar.update);
  bar.done();
  if (!r || r.error) return noReply(r);
  if (f.json) process.stdout.write(JSON.stringify(r) + '\n');
  else process.stdout.write(`clear: removed ${r.entriesEvicted} entries and ${r.blobsRemoved} blobs (${formatBytes(r.bytesRemoved)}); ${formatBytes(r.bytesKept)} left\n`);
  return 0;
}
