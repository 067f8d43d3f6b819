import type { AuditEvent } from '@splitcache/store';
import { daemonRequest, noReply } from './daemonRequest.js';
import { parseFlags } from './flags.js';
import { filterEvents } from './summary.js';

/** `splitcache audit [--json] [--session S] [--crate C] [--since ISO|ms]`: the audit log, oldest first. */
export async function runAudit(args: string[]): Promise<number> {
  const f = parseFlags(args, ['session', 'crate', 'since', 'origin']);
  const since = f.since ? (Number.isFinite(Number(f.since)) ? Number(f.since) : Date.parse(f.since)) : 0;
  const reply = await daemonRequest<{ events: AuditEvent[] }>({ op: 'audit', since, session: f.session, crate: f.crate }, true);
  if (!reply?.events) return noReply(reply);
  reply.events = filterEvents(reply.events, f);
  if (f.json) {
    process.stdout.write(reply.events.map((e) => JSON.stringify(e)).join('\n') + (reply.events.length ? '\n' : ''));
    return 0;
  }
  for (const e of reply.events) {
    const when = new Date(e.time).toISOString();
    const detail = e.outcome === 'hit' ? `${e.origin} from ${e.producer}, saved ${e.timeSavedMs} ms` : (e.reason ?? '');
    process.stdout.write(`${when}  ${e.outcome.padEnd(13)} ${(e.crate + ' ' + e.crateType).padEnd(36)} ${detail}\n`);
  }
  return 0;
}
