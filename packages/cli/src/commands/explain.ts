import type { Explanation } from '@splitcache/daemon';
import { CRATE_TYPE_LABELS, isCrateTypeLabel } from '@splitcache/rustc';
import { daemonRequest, noReply } from './daemonRequest.js';
import { readCommandLine, usageError, type CommandSpec } from './flags.js';
import { crateName } from './crateName.js';

const SAY: Record<Explanation['verdict'], string> = {
  'no-call': 'is named by no call in the audit log (a crate\'s name or its package\'s, as cargo prints it)',
  'no-miss': 'has no recorded miss',
  'passed-through': 'was not cached: its latest call ran rustc plainly, passed through for',
  'not-stored': 'missed because an earlier call compiled it under the same key, and its result was not stored:',
  recache: 'was compiled without a lookup: SPLITCACHE_RECACHE=1 was set',
  'first-build': 'missed because no earlier entry of this crate exists',
  evicted: "missed because its entry, stored under the same key, had been evicted from the store (gc: the store's size limit SPLITCACHE_MAX_SIZE, or --evict-older-than); `splitcache stats` shows the store's size against its limit",
  damaged: 'missed because its entry, stored under the same key, had been evicted by `splitcache audit verify`, which found a blob of it damaged on disk, or dropped by `gc` or `audit verify` for a damaged index record (not the size limit)',
  key: 'missed because its key differs from the nearest earlier entry in:',
  inputs: 'missed because a file it read, or a variable it read with env!(), differs from the entry stored under the same key:',
  'diagnostic-form': 'missed because the entry stored under the same key holds diagnostics rendered in another form (cargo --message-format=short or not, or another terminal width: cargo passes one from a terminal, none to a pipe; or colours, which a call in a terminal gets)',
  'remap-covers-input':
    "missed because a --remap-path-prefix of this call, whose FROM covers none of the call's directories, covers a file the entry stored under the same key read (an include! from outside the crate's dirs): rustc names that file otherwise under this flag, so the entry is not served",
  'unchecked-download':
    'missed because its entry had been fetched from the remote when no SPLITCACHE_SIGNING_KEY checked it, and a daemon with a key does not serve such an entry (the remote\'s signed record is looked up instead, or the crate compiled again over it)',
  'built-plainly': 'hit, then was compiled by a plain rustc after all:',
  'entry-gone': 'missed because the entry stored under its key had been removed since: the link step of an earlier hit of it failed (SPLITCACHE_LINK_FAILED), and the entry was evicted; this call stored it again',
  'unkept-key': 'missed under a key whose parts are no longer kept (its entry was evicted or cleared since), so which part of it differs from',
  'unlike-plain': 'missed though its entry was there: a plain rustc would not have written its outputs as a hit does, so it was compiled:',
  interrupted: 'was interrupted: its call, or its link step, was ended by a signal (a Ctrl-C, a kill, the OOM killer); nothing was stored for it, and an entry it hit is kept',
};
const PLAINLY: Record<string, string> = {
  'link-failed': 'linking its cached objects failed, and the entry was evicted',
  'link-error': 'its link failed, and so did a plain rustc\'s: the crate\'s own error (the entry is kept, for the build that links once that is mended)',
  'runs-dir-full': "rustc's output was lost to a full runs dir (its entry is kept: a build with room hits it)",
  'run-not-set-up': 'its run could not be set up (its entry is kept)',
  'out-dir-missing': 'its --out-dir was not there as a directory, where rustc fails to write (a hit would have made it)',
  'output-read-only': 'an output of it was there read-only, which rustc refuses to write over (a hit would have replaced it)',
  'output-symlink': 'its dep-info file was a symlink, which rustc writes through (a hit would have replaced the link)',
};

/** Why a result was not stored (AuditEvent.notStored), for a reader. */
const NOT_STORED: Record<string, string> = {
  'too-large': 'larger than SPLITCACHE_MAX_ENTRY_SIZE (a quarter of SPLITCACHE_MAX_SIZE unless set)',
  'input-modified-during-compile': 'a file it read changed while it compiled',
  'blob-removed':
    'a blob of it was found bad and removed by a hit of another call as it was stored, and its output could not be written again (it changed since)',
  'width-unread':
    "it printed warnings or errors laid out for a terminal whose size the daemon could not read (`stty -F` refused the device, or took over a second: a build run as another user in someone's terminal), so for a width no result can name; a crate that prints nothing is cached there, and one built with no terminal, or as the terminal's own user, is stored",
  'placeholder-in-text':
    "what it printed or its dep-info holds `@@sc:`, the form splitcache stores a checkout's paths in (a deprecation note, an env!() value): a hit would print a path there, where rustc prints the text as written",
  'remap-covers-input':
    "a --remap-path-prefix of the call, whose FROM covers none of the call's directories, covers a file it read (an include! from outside the crate's dirs): its outputs name that file as mapped, and calls whose flags map it otherwise share its key",
  'control-char-path':
    "a path of the call's (its checkout or target dir) holds a tab or a newline, which rustc writes into its dep-info as is, leaving lines no one can read (a checkout at another path caches it)",
  'absolute-input':
    "its own source names this checkout's absolute path, and it includes a file by absolute path: another checkout would read the file named, not its own copy; name the file relative to the source, or through env!(\"CARGO_MANIFEST_DIR\")",
};
/** What a pass-through's reason asks of the user, where there is something to do. */
const PASSED_HINT: Record<string, string> = {
  incremental: 'CARGO_INCREMENTAL=0 caches it (cargo compiles dev builds incrementally by default)',
  'rustc-log': 'RUSTC_LOG is set',
  'crate-type-attr': 'its root source names its crate type (`#![crate_type = …]`) and the call gives no --crate-type: passing --crate-type caches it',
  'control-char-path': "a path of the call's (its checkout, target dir or CARGO_HOME) holds a tab or a newline, which no .rlink file can: its crates that link compile plainly (a checkout at another path caches them)",
  'color-refused': 'rustc refuses its --color (given twice, a value other than auto, always or never, or beside --json): the call fails as a plain rustc does, and was run as one, its error in its own colours',
  'width-refused': 'rustc refuses its --diagnostic-width (given twice, or no number): the call fails as a plain rustc does, and was run as one',
  'json-refused': 'rustc refuses --json without --error-format=json: the call fails as a plain rustc does, and was run as one, its error in its own colours',
  'rlink-unsupported': "this rustc writes .rlink files this splitcache can't read (Debian's 1.63 does): its crates that link compile plainly until the daemon restarts (`splitcache server stop`); a rustc whose .rlink ends with rust-end-file (1.95, rustup's) caches them",
};
/** Why the remote could not serve a miss either (Explanation.remote); `remote-error:CODE` is told by its code. */
const REMOTE: Record<string, string> = {
  'remote-new-key': 'it has nothing under this key: no machine sharing it stored this crate with the same key parts (arguments, environment, dependencies: docs/ARCHITECTURE.md), or the server evicted it',
  'remote-no-entry': 'it has this key, but no entry this call can use: a file the crate read (or a value read with env!()) differs here from every copy published, or only the other diagnostic form (cargo --message-format=short or not, or another terminal width: cargo passes one from a terminal, none to a pipe) was published',
  'remote-blob-missing': 'it has an entry for these inputs, but a blob the entry names is gone from the server (evicted); the next upload of the crate replaces it',
  // A mis-signed record can be another key's or one changed since (on the server, on the way): HMAC tells neither apart.
  'remote-signature': "its record failed the signature check: unsigned, signed with another SPLITCACHE_SIGNING_KEY than this machine's, or changed since it was signed (on the server or on the way)",
  'remote-digest': 'a blob it served failed its digest check (damaged on the server); the next upload of it sends it again',
  'remote-record': 'its record is malformed',
  'remote-diagnostic-form': 'its entry holds diagnostics rendered in another form (cargo --message-format=short or not, or another terminal width: cargo passes one from a terminal, none to a pipe), and none of this call\'s form was published',
  'remote-remap-covers-input': "it has an entry for this key, but a file that entry read is covered by this call's --remap-path-prefix (a FROM covering none of the call's directories): rustc names that file otherwise here",
  'remote-skipped': 'it was not asked: earlier requests had failed, and its circuit breaker was open (SPLITCACHE_REMOTE_COOLDOWN)',
};
const OUTCOME: Record<string, string> = { hit: 'hit', 'compile-error': 'failed to compile (nothing is stored for a compile error)', miss: 'missed' };

/** The crate types `--type` takes (CRATE_TYPE_LABELS), as a sentence lists them. */
function knownTypes(): string {
  return `${CRATE_TYPE_LABELS.slice(0, -1).join(', ')} or ${CRATE_TYPE_LABELS.at(-1)}`;
}

export const EXPLAIN: CommandSpec = {
  name: 'explain',
  valued: ['session', 'type'],
  switches: ['json'],
  positionals: 1,
  usage: `usage: splitcache explain <crate> [--session S] [--type T] [--json]
Why the crate's last miss missed: the key component, input file or env!() variable that
differs from the nearest earlier entry of its kind, that no earlier entry exists, that an
earlier result was not stored, or that gc evicted the entry stored under the same key; and
what its latest call did, where that was not the miss (a hit, a pass-through such as an
incremental build's). A name no call has is an error (exit 1). <crate> is a crate's name or
its package's: \`explain serde --type build-script\` for serde's build script.
  --session S    its last miss in build session S
  --type T       its last miss as crate type T, one of:
                 ${knownTypes()}
                 (a crate of several types: lib+cdylib; cargo clippy's call: clippy:lib)
  --json         print the explanation as JSON`,
};

/** `splitcache explain <crate> [--session S] [--type T] [--json]`: why did this crate miss? */
export async function runExplain(args: string[]): Promise<number> {
  const f = readCommandLine(args, EXPLAIN);
  if (typeof f === 'number') return f;
  const crate = f.rest[0];
  if (!crate) return usageError(EXPLAIN, 'name the crate to explain');
  // A type no call is recorded under would find no miss, and say the crate had none.
  if (f.type !== undefined && !isCrateTypeLabel(f.type)) return usageError(EXPLAIN, `--type '${f.type}' is no crate type: ${knownTypes()} (lib+cdylib for both, clippy:lib for cargo clippy's)`);
  const r = await daemonRequest<Explanation>({ op: 'explain', crate: crateName(crate), session: f.session, crateType: f.type }, true);
  if (!r?.verdict) return noReply(r);
  if (f.json) {
    process.stdout.write(JSON.stringify(r, null, 2) + '\n');
    return r.verdict === 'no-call' ? 1 : 0;
  }
  // A build script reads as cargo says it: `serde (build script)`; a renamed lib by both names.
  const who = !r.pkg ? r.crate : r.crateType === 'build-script' ? `${r.pkg} (build script)` : `${r.crate} (package ${r.pkg})`;
  const within = [f.session ? `in session ${f.session}` : '', f.type ? `of type ${f.type}` : ''].filter(Boolean).join(' ');
  if (r.verdict === 'no-call') {
    const near = r.suggestions?.length ? `; did you mean ${r.suggestions.join(', ')}?` : '';
    process.stderr.write(within && !r.suggestions ? `splitcache: no call of ${r.crate} ${within} is in the audit log\n` : `splitcache: ${r.crate} ${SAY['no-call']}${near}\n`);
    return 1;
  }
  let out = '';
  const latest = r.latest ? `its latest call${f.session || !r.latest.session ? "" : ` (session ${r.latest.session})`} ${OUTCOME[r.latest.outcome] ?? r.latest.outcome}` : '';
  if (r.verdict === 'no-miss') out += `${who} ${SAY['no-miss']}${latest ? `: ${latest}` : ''}\n`;
  else {
    // The miss explained is not the latest call: say what came after it first.
    if (latest) out += `${who}: ${latest}; its last miss, explained:\n`;
    const type = r.types && !f.type && r.crateType !== 'build-script' ? ` (${r.crateType})` : '';
    const tail = r.verdict === 'passed-through' ? ` ${r.reason}` : r.verdict === 'unkept-key' ? ` the ${r.others === 1 ? 'key of its one earlier entry' : `keys of its ${r.others} earlier entries`} can't be told` : '';
    out += `${who}${type} ${SAY[r.verdict]}${tail}\n`;
  }
  // A pass-through's reason is on its first line already: only a hint is added (before, the reason again).
  if (r.verdict === 'passed-through') out += r.reason && PASSED_HINT[r.reason] ? `  ${PASSED_HINT[r.reason]}\n` : '';
  else if (r.verdict === 'not-stored' && r.reason) out += `  ${NOT_STORED[r.reason] ?? r.reason}\n`;
  else if (r.reason) out += `  ${PLAINLY[r.reason] ?? r.reason}\n`;
  for (const d of r.differences) {
    out += `  ${d.name}\n    before: ${d.before ?? '(absent)'}\n    now:    ${d.after ?? '(absent)'}\n`;
  }
  // The local miss's reason alone read as if the remote had nothing: it had the crate and could not serve it.
  if (r.remote) out += `  the remote could not serve it either: ${remoteText(r.remote)}\n`;
  if (r.notStored === r.reason && r.verdict === 'not-stored') out += "  and so was this call's: the next build misses too\n";
  // A hit built plainly keeps its entry, so the next build hits it, unless the link of its cached
  // objects failed: that reason's line says the entry went, and this one only what follows.
  else if (r.verdict === 'built-plainly' && r.reason === 'link-failed') out += "  and the plain rustc's result is not stored: the next build misses too\n";
  else if (r.notStored && r.verdict !== 'built-plainly') out += `  this call's result was not stored (${NOT_STORED[r.notStored] ?? r.notStored}): the next build misses too\n`;
  process.stdout.write(out);
  return 0;
}

/** Explanation.remote for a reader: `remote-error:CODE` by its code, `remote-skipped:CODE` with the fault that opened the breaker. */
function remoteText(remote: string): string {
  if (REMOTE[remote]) return REMOTE[remote];
  if (remote.startsWith('remote-error:')) return `the lookup failed, ${remote.slice(13)}`;
  const skipped = /^remote-skipped:(\S+)$/.exec(remote);
  if (skipped) return `it was not asked: earlier requests had failed (the last with ${skipped[1]}: daemon.log and the build's line say more), and its circuit breaker was open (SPLITCACHE_REMOTE_COOLDOWN)`;
  return remote;
}
