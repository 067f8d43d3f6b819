import { escapeControl } from '@splitcache/errors';
import type { AuditEvent } from '@splitcache/store';
import { daemonRequest, noReply } from './daemonRequest.js';
import { readCommandLine, usageError, type CommandSpec } from './flags.js';
import { badSince, SINCE_HELP, sinceTime } from './sinceTime.js';
import { badOrigin, filterEvents } from './summary.js';
import { crateName } from './crateName.js';

export const AUDIT: CommandSpec = {
  name: 'audit',
  valued: ['session', 'crate', 'since', 'origin'],
  switches: ['json'],
  usage: `usage: splitcache audit [--json] [--session S] [--crate C] [--since T] [--origin O]
       splitcache audit verify [--json]   (re-hash every blob: \`splitcache audit verify --help\`)
Every hit (origin, producer, time saved), miss and pass-through in the audit log, oldest first.
  --json         one JSON object a line
  --session S    only calls of build session S (\`splitcache cargo\` makes one per build)
  --crate C      only calls of crate C, or of package C (its build script too)
${SINCE_HELP}
  --origin O     only hits from O (local, remote), or \`miss\` for the misses`,
};

/** `splitcache audit [--json] [--session S] [--crate C] [--since ISO|ms] [--origin O]`: the audit log, oldest first. */
export async function runAudit(args: string[]): Promise<number> {
  const f = readCommandLine(args, AUDIT);
  if (typeof f === 'number') return f;
  const since = sinceTime(f.since);
  if (since === undefined) return usageError(AUDIT, badSince(f.since));
  const origin = badOrigin(f.origin);
  if (origin) return usageError(AUDIT, origin);
  const crate = typeof f.crate === 'string' ? crateName(f.crate) : undefined;
  const reply = await daemonRequest<{ events: AuditEvent[] }>({ op: 'audit', since, session: f.session, crate, parts: true }, true);
  if (!reply?.events) return noReply(reply);
  reply.events = filterEvents(reply.events, f);
  if (f.json) {
    // In pieces: a million lines and more don't fit in one string.
    for (let i = 0; i < reply.events.length; i += 10_000) process.stdout.write(reply.events.slice(i, i + 10_000).map((e) => JSON.stringify(e) + '\n').join(''));
    return 0;
  }
  // The crate and its type in columns as wide as their longest: at a fixed 36 for both, a build
  // script's (`build_script_build (serde_derive) build-script`) pushed the rest of its line out.
  const crateOf = (e: AuditEvent) => (e.pkg ? `${e.crate} (${e.pkg})` : e.crate);
  let cw = 0;
  let tw = 0;
  for (const e of reply.events) {
    cw = Math.max(cw, crateOf(e).length);
    tw = Math.max(tw, e.crateType.length);
  }
  for (const e of reply.events) {
    const when = new Date(e.time).toISOString();
    const waited = e.waitedMs === undefined ? '' : `, after waiting ${e.waitedMs} ms for another build's compile of it`;
    const unstored = e.notStored ? `, not stored: ${e.notStored}` : '';
    const detail = (e.outcome === 'hit' ? `${e.origin} from ${escapeControl(e.producer ?? '')}${signatureNote(e)}, saved ${Math.max(0, e.timeSavedMs ?? 0)} ms` : (e.reason ?? '')) + unstored + waited;
    process.stdout.write(`${when}  ${e.outcome.padEnd(13)} ${crateOf(e).padEnd(cw)}  ${e.crateType.padEnd(tw)}  ${detail}\n`);
  }
  return 0;
}

/**
 * What a remote hit's producer name rests on: a record whose signature was checked, or one
 * read with no key to check it by, whose producer is only what the record says (--json has
 * the same as `signature`).
 */
function signatureNote(e: AuditEvent): string {
  // A local hit of an entry fetched from the remote earlier: its signature is what was checked then.
  const fetched = e.origin === 'local' && (e.signature === 'valid' || e.signature === 'unsigned') ? 'fetched from the remote, ' : '';
  if (e.origin !== 'remote' && !fetched) return '';
  return e.signature === 'valid' ? ` (${fetched}signature valid)` : ` (${fetched}signature not checked: no SPLITCACHE_SIGNING_KEY)`;
}

