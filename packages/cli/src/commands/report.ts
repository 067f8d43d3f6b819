import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Stats } from '@splitcache/daemon';
import type { AuditEvent } from '@splitcache/store';
import { renderReport } from '../report/renderReport.js';
import { daemonRequest, noReply } from './daemonRequest.js';
import { parseFlags } from './flags.js';

/** `splitcache report --html out.html [--since ISO|ms] [--session S]`: one self-contained HTML page of charts. */
export async function runReport(args: string[]): Promise<number> {
  const f = parseFlags(args, ['html', 'since', 'session']);
  if (!f.html) {
    process.stderr.write('usage: splitcache report --html <file> [--since T] [--session S]\n');
    return 2;
  }
  const since = f.since ? (Number.isFinite(Number(f.since)) ? Number(f.since) : Date.parse(f.since)) : 0;
  if (Number.isNaN(since)) {
    process.stderr.write(`splitcache: --since '${f.since}' is neither a date nor a time in ms\n`);
    return 2;
  }
  const audit = await daemonRequest<{ events: AuditEvent[] }>({ op: 'audit', since, session: f.session }, true);
  const stats = await daemonRequest<{ stats: Stats; dir: string }>({ op: 'stats' }, true);
  if (!audit?.events || !stats?.stats) return noReply(audit?.events ? stats : audit);
  const html = renderReport(audit.events, stats.stats, { dir: stats.dir, generatedAt: Date.now(), since: since || undefined, session: f.session });
  const out = resolve(f.html);
  try {
    writeFileSync(out, html);
  } catch (err) {
    process.stderr.write(`splitcache: cannot write ${out}: ${(err as Error).message}\n`);
    return 1;
  }
  process.stdout.write(`${out}\n`);
  return 0;
}
