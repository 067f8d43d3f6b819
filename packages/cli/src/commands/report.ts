import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Stats } from '@splitcache/daemon';
import type { AuditEvent } from '@splitcache/store';
import { renderReport } from '../report/renderReport.js';
import { daemonRequest, noReply } from './daemonRequest.js';
import { readCommandLine, usageError, type CommandSpec } from './flags.js';
import { badSince, SINCE_HELP, sinceTime } from './sinceTime.js';

export const REPORT: CommandSpec = {
  name: 'report',
  valued: ['html', 'since', 'session'],
  usage: `usage: splitcache report --html <file> [--since T] [--session S]
One self-contained HTML page of charts: hit rate per session, time saved per crate, miss reasons.
  --html FILE    where to write it (its path is printed)
${SINCE_HELP}
  --session S    only calls of build session S`,
};

/** `splitcache report --html out.html [--since ISO|ms] [--session S]`: one self-contained HTML page of charts. */
export async function runReport(args: string[]): Promise<number> {
  const f = readCommandLine(args, REPORT);
  if (typeof f === 'number') return f;
  if (!f.html) return usageError(REPORT, '--html <file> is needed');
  const since = sinceTime(f.since);
  if (since === undefined) return usageError(REPORT, badSince(f.since));
  const audit = await daemonRequest<{ events: AuditEvent[] }>({ op: 'audit', since, session: f.session, parts: true }, true);
  // Not a second request after a failed one: a daemon that died would be started again for nothing.
  if (!audit?.events) return noReply(audit);
  const stats = await daemonRequest<{ stats: Stats; dir: string }>({ op: 'stats' }, true);
  if (!stats?.stats) return noReply(stats);
  const html = renderReport(audit.events, stats.stats, { dir: stats.dir, generatedAt: Date.now(), since: since || undefined, session: f.session });
  const out = resolve(f.html);
  try {
    writeFileSync(out, html);
  } catch (err) {
    process.stderr.write(`splitcache: cannot write ${out}: ${whyNotWritten(err as NodeJS.ErrnoException)}\n`);
    return 1;
  }
  // Written all the same, as \`stats --session\` prints its line of zeros; but a session mistyped
  // made an empty page with no word of why.
  if (audit.events.length === 0) {
    const which = [f.session !== undefined && `--session ${f.session}`, f.since !== undefined && `--since ${f.since}`].filter(Boolean).join(' ');
    process.stderr.write(`splitcache report: no call in the audit log${which ? ` matches ${which}` : ''}; the report is empty\n`);
  }
  process.stdout.write(`${out}\n`);
  return 0;
}

/** Why the page could not be written, in words: node's named the path a second time (`ENOENT: …, open '<path>'`). */
function whyNotWritten(err: NodeJS.ErrnoException): string {
  const words: Record<string, string> = {
    ENOENT: 'its directory is not there',
    ENOTDIR: 'a file is on its path',
    EISDIR: 'a directory is there',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EROFS: 'a read-only file system',
    ENOSPC: 'no space left on its disk',
  };
  return (err.code && words[err.code]) ?? err.message;
}
