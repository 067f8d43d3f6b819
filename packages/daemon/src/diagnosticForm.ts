import type { Invocation } from '@splitcache/rustc';
import { linksErrorCodes } from './terminalUrls.js';

/**
 * The form a call asks its diagnostics in, beyond rustc's default: the parts
 * of `--json` that change only how a diagnostic is rendered. cargo passes
 * `--json=…,diagnostic-short` under `--message-format=short` (and
 * `json-diagnostic-short`), and nothing else about its diagnostics differs
 * between message formats (it always asks for `diagnostic-rendered-ansi` and
 * strips the colours itself).
 *
 * They, and the width (`--diagnostic-width`), are left out of the key (manifestKey.ts), so a
 * crate that printed no diagnostic is one entry for every form: before, `cargo build
 * --message-format=short` missed every crate that a plain `cargo build` had
 * stored. A result that holds diagnostics records the form they were rendered
 * in (ManifestResult.display), and serves only calls that ask for that form;
 * a result of a form other than the default also has an entry key of its own
 * (entryKey.ts), so the two forms' entries stand side by side.
 */
const DISPLAY_PARTS = new Set(['diagnostic-short', 'diagnostic-unicode']);

/**
 * The call's diagnostic form: its display parts of `--json`, sorted, `color=always`, `terminal-urls` (error codes linked in coloured
 * diagnostics), and its `--diagnostic-width` (`width=<columns>`, or `width=none`), joined. cargo passes the width of its terminal (none to a
 * pipe): before, the width was in no form, and a hit in a terminal 200 columns wide replayed
 * warnings cut down with `...` for the 40 of the one that stored them (a replay differential's
 * repro). `width=none` is spelled out so that no result stored before (form '', whatever width
 * it was rendered for) serves a call of this version, locally or from a remote (a review's).
 * `widthUnread`: the call's rustc lays out for a terminal whose size the daemon could not read
 * (terminalWidth.ts): `width=unread`, which no stored result has (ingest.ts stores none).
 */
export function diagnosticForm(inv: Invocation, widthUnread = false): string {
  const parts = new Set<string>();
  let ansi = false;
  for (const v of jsonValues(inv.args)) {
    for (const p of v.split(',')) {
      if (DISPLAY_PARTS.has(p)) parts.add(p);
      else if (p === 'diagnostic-rendered-ansi') ansi = true;
    }
  }
  // Colours (`--color=always`: a terminal's, terminalArgs.ts): the daemon's rustc writes to a pipe, where `auto` and `never` are none.
  // JSON errors take theirs from `--json` alone (rustc 1.95: the same bytes under `--color=always` and `never`).
  const colour = lastValue(inv.args, '--color') === 'always' && lastValue(inv.args, '--error-format') !== 'json' ? ['color=always'] : [];
  // Error codes linked (`-Z terminal-urls`), which rustc does in coloured diagnostics alone (terminalUrls.ts).
  const urls = linksErrorCodes(inv) && (colour.length > 0 || ansi) ? ['terminal-urls'] : [];
  return [...[...parts].sort(), ...colour, ...urls, `width=${lastValue(inv.args, '--diagnostic-width') ?? (widthUnread ? 'unread' : 'none')}`].join(',');
}

/** Whether a form is one no result is stored or published under (`width=unread`): only a quiet result serves it. */
export function formOfNoResult(form: string): boolean {
  return form.endsWith('width=unread');
}

/** The last value of option `name` in the call (`name=v` or `name v`), as given. */
function lastValue(args: string[], name: string): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith(`${name}=`)) value = a.slice(name.length + 1);
    else if (a === name && i + 1 < args.length) value = args[++i]!;
  }
  return value;
}

/** A `--json` argument's text (`--json=a,b` or `--json a,b`) as it is keyed: without the display parts. */
export function keyedJsonArg(text: string): string {
  const m = /^(--json[= ])(.*)$/s.exec(text);
  if (!m) return text;
  return m[1] + m[2]!.split(',').filter((p) => !DISPLAY_PARTS.has(p)).join(',');
}

function* jsonValues(args: string[]): Generator<string> {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('--json=')) yield a.slice('--json='.length);
    else if (a === '--json' && i + 1 < args.length) yield args[++i]!;
  }
}

const ARTIFACT_LINE = Buffer.from('{"$message_type":"artifact"');

/**
 * Whether a compile's stderr holds anything whose rendering its form decides:
 * any line but an artifact notice (`--json=artifacts`, which every form
 * prints alike). Under `--error-format=json` that is a diagnostic or a
 * future-incompat report; otherwise any text at all. Searched as bytes: a
 * stderr of many diagnostics is megabytes, and its first line decides.
 */
export function hasDiagnostics(stderr: Uint8Array): boolean {
  const bytes = Buffer.from(stderr.buffer, stderr.byteOffset, stderr.byteLength);
  for (let at = 0; at < bytes.length; ) {
    let end = bytes.indexOf(0x0a, at);
    if (end === -1) end = bytes.length;
    if (end > at && bytes.compare(ARTIFACT_LINE, 0, ARTIFACT_LINE.length, at, Math.min(end, at + ARTIFACT_LINE.length)) !== 0) return true;
    at = end + 1;
  }
  return false;
}

const TIMING_LINE = Buffer.from('{"$message_type":"section_timing"');

/**
 * A compile's stderr without the timings of its run (`--json=timings`, cargo's nightly
 * `-Zsection-timings`): they belong to the run that printed them. Stored, a hit replayed an old
 * run's frontend and codegen sections, stamped as cargo received them, into the timings report of
 * a build that ran neither (a hunting helper's finding). Most stderr holds none: returned as it is.
 */
export function withoutRunTimings(stderr: Uint8Array): Uint8Array {
  const bytes = Buffer.from(stderr.buffer, stderr.byteOffset, stderr.byteLength);
  if (bytes.indexOf(TIMING_LINE) < 0) return stderr;
  const kept: Buffer[] = [];
  for (let at = 0; at < bytes.length; ) {
    let end = bytes.indexOf(0x0a, at);
    end = end === -1 ? bytes.length : end + 1;
    if (bytes.compare(TIMING_LINE, 0, TIMING_LINE.length, at, Math.min(end, at + TIMING_LINE.length)) !== 0) kept.push(bytes.subarray(at, end));
    at = end;
  }
  return Buffer.concat(kept);
}
