/**
 * Carrying out the daemon's plan for one rustc call: replay a hit and run its
 * link step, or run the planned compile, report it, and link. The same steps
 * run in two places: in the node client (packages/cli, its own process per
 * call), and in the daemon for a call that reached it through the exec port
 * (execCall.ts), where the caller, bash, runs each rustc the steps ask for.
 * This module is bundled into the client, so it imports types only.
 */
import { crateTypeLabel, parseInvocation } from '@splitcache/rustc';
import { crateCalled } from './crateCalled.js';
import { notShownYet, outAfterShown } from './notShownYet.js';
import type { CompilePlan, DoneReply, LinkStep } from './protocol.js';

export interface RunResult {
  code: number;
  stdout: Buffer;
  stderr: Buffer;
}

/** What the steps need from the side they run on. */
export interface CallSide {
  /**
   * Runs rustc with `args`. `capture`: true relays stdout and stderr as they
   * come and keeps a copy; 'quiet' keeps a copy only; false passes them
   * straight through. `bootstrap` sets RUSTC_BOOTSTRAP=1 (the -Z flags).
   */
  run(args: string[], bootstrap: boolean, capture: boolean | 'quiet'): Promise<RunResult>;
  write(fd: 1 | 2, bytes: Uint8Array): void;
  /** One line for the user on stderr (quiet under SPLITCACHE_LOG=quiet). */
  warn(line: string): void;
  /** Reports a finished compile; throws if the daemon can no longer be asked. */
  done(report: { token: string; code: number; stdout: Buffer; stderr: Buffer; ms: number }): Promise<DoneReply>;
  /**
   * Reports a failed link step of a hit (its entry is evicted), or the end of a miss's link step:
   * the call may be the build's last, which waits for the stores in flight (storesInFlight.ts).
   */
  linked(token: string, code: number, plain?: number, about?: LinkAbout): Promise<void>;
  removeFile(path: string): void;
  /** The link step when the daemon went away between -Zno-link and its reply. */
  fallbackLink(noLinkArgs: string[]): LinkStep;
  mark?(name: string): void;
  /** The call builds (or built) uncached for this fault, of which the daemon has no record: noted for the build's summary line (protocol.ts, newUncachedNotes). */
  uncached?(code: string): void;
  /** SPLITCACHE_LOG=debug for this call: a failed split link's own output is shown too. */
  debug?: boolean;
  /** The call's package (cargo's CARGO_PKG_NAME), by which a line names a build script (crateCalled.ts). */
  pkg?: string;
}

/** Carries out a plan of action 'hit' or 'run'. `args`: the call's own arguments, for a fallback. */
export async function carryOut(plan: Extract<CompilePlan, { action: 'hit' | 'run' }>, args: string[], side: CallSide): Promise<number> {
  if (plan.action === 'hit') {
    if (plan.stdout.length > 0) side.write(1, plan.stdout);
    if (plan.stderr.length > 0) side.write(2, plan.stderr);
    if (!plan.link) return plan.code;
    const { code, linkCode, about } = await link(side, args, plan.link, plan.stderr, plan.stdout);
    // Only a failed link is reported (the daemon evicts the entry, unless a plain rustc failed too); a good one needs no word.
    if (linkCode !== 0) await side.linked(plan.token, linkCode, code, about).catch(() => undefined);
    return code;
  }
  // A miss: run what the daemon planned, relay and capture its output, report it.
  // A monotonic clock: a wall clock stepped back mid-compile gave a negative time.
  const t0 = performance.now();
  const { code, stdout, stderr } = await side.run(plan.args, plan.bootstrap, true);
  const ms = Math.round(performance.now() - t0);
  side.mark?.('ran');
  let reply: DoneReply = {};
  try {
    reply = await side.done({ token: plan.token, code, stdout, stderr, ms });
  } catch (err) {
    // The daemon went away mid-build, or hung and was stopped: nothing was stored, but the objects are still here.
    const hung = (err as { code?: unknown }).code === 'SPLITCACHE_DAEMON_UNRESPONSIVE';
    side.uncached?.(hung ? 'SPLITCACHE_DAEMON_UNRESPONSIVE' : 'SPLITCACHE_DAEMON_LOST');
    side.warn(`${hung ? `SPLITCACHE_DAEMON_UNRESPONSIVE: ${(err as Error).message}` : 'SPLITCACHE_DAEMON_LOST: the daemon went away'} during ${callOf(args, side.pkg)} (its outputs are not cached)`);
    if (plan.bootstrap && code === 0) reply = { link: side.fallbackLink(plan.args) };
  }
  side.mark?.('reported');
  if (reply.warning) side.warn(reply.warning);
  if (code !== 0) return code;
  if (reply.rerun) return rerun(side, reply.rerun.plainArgs ?? args, reply.rerun.rlinkPath, stderr, stdout);
  if (!reply.link) return code;
  const linked = await link(side, args, reply.link, stderr, stdout);
  // Its store (staged before the link) may still be going on: the node client's process, whose end
  // may be the build's, ends once it is in if no other call is under way. In the exec port, the
  // call's end does that (ExecServer).
  await side.linked(plan.token, linked.linkCode, linked.linkCode === 0 ? undefined : linked.code, linked.about).catch(() => undefined);
  return linked.code;
}

/**
 * "the call of <crate>" (its `--crate-name`): cargo shows the line apart from any crate's output,
 * and two calls in flight gave two bare lines. A build script by its package (`the call of
 * foo-sys's build script`): every one is `build_script_build`, and a build with forty of them
 * could not tell which one it was.
 */
export function callOf(args: string[], pkg?: string): string {
  const inv = parseInvocation(args);
  const name = crateCalled(inv.crateName, crateTypeLabel(inv), pkg);
  return name ? `the call of ${name}` : 'this call';
}

/**
 * Runs the call again as it was given, without RUSTC_BOOTSTRAP, after a -Zno-link half whose
 * crate read that variable (DoneReply.rerun). The half's diagnostics were relayed already: the
 * run's own output is shown less them (notShownYet.ts), whether it fails or not. Where it
 * linked, only its artifact notices were shown before, and what the half never said was lost:
 * the linker's warnings (`-W linker-messages`; the half does not link), a lint of code that
 * reads the variable.
 */
async function rerun(side: CallSide, args: string[], rlinkPath: string, shown: Uint8Array, shownOut: Uint8Array): Promise<number> {
  side.removeFile(rlinkPath);
  const { code, stdout, stderr } = await side.run(args, false, 'quiet');
  side.write(1, outAfterShown(stdout, shownOut));
  side.write(2, notShownYet(stderr, shown));
  return code;
}

/**
 * Runs `rustc -Zlink-only` on the (private) objects, then removes the .rlink
 * as a plain build leaves none. Its output is held back: if the link fails,
 * the call falls back to a plain, uncached rustc with the original arguments,
 * so a cache fault can never fail a build that would succeed without it (and
 * a real link error is then shown by rustc itself). SPLITCACHE_LINK_FAILED is
 * said only where that plain rustc succeeds: where it fails too (a native
 * library missing, an undefined symbol), the error is the crate's own, and the
 * line blamed the cache for it. `shown`: the -Zno-link half's stderr, already given (relayed or
 * replayed): the plain rustc's diagnostics that repeat it are left out (notShownYet.ts), and so is
 * the half's stdout where the plain run's begins with it (`shownOut`).
 */
async function link(side: CallSide, args: string[], step: LinkStep, shown: Uint8Array, shownOut: Uint8Array): Promise<{ code: number; linkCode: number; about?: LinkAbout }> {
  const { code: linkCode, stdout, stderr } = await side.run(step.args, true, 'quiet');
  side.removeFile(step.rlinkPath);
  // A link that failed left the objects rustc deletes once linked: they are the call's own copies (privateObjects.ts).
  if (linkCode !== 0) for (const object of step.objects ?? []) side.removeFile(object);
  if (linkCode === 0) {
    side.write(1, stdout);
    side.write(2, stderr);
    return { code: 0, linkCode };
  }
  // Ended by a signal, or its linker was (the OOM killer, a `kill`, a Ctrl-C where SIGINT was
  // ignored as the build started, which bin/splitcache can't trap): no fault of the cache's. The
  // call ends as that rustc did, as a plain one would have, and the entry stays. Before, the link
  // was taken for a split fault: the entry was evicted, and the crate compiled again, uncached,
  // under the memory pressure that killed it, or after the build was stopped (exit 0).
  if (endedBySignal(linkCode, stderr)) {
    side.write(1, stdout);
    side.write(2, stderr);
    return { code: linkCode, linkCode, about: { interrupted: true } };
  }
  if (side.debug) side.write(2, stderr);
  // The diagnostics the half gave are held back (cargo counted each twice; a direct call showed its
  // warnings twice): JSON lines and human text alike, in the terminal's form the half had (LinkStep.plainArgs).
  const plain = await side.run(step.plainArgs ?? args, false, 'quiet');
  side.write(1, outAfterShown(plain.stdout, shownOut));
  side.write(2, notShownYet(plain.stderr, shown));
  const code = plain.code;
  // Exit 1 without a word: rustc (1.95) ends so on a Ctrl-C that its linker outlived (a linker
  // that ignores SIGINT, or one the signal missed), exit 1 once the linker is done. The crate is
  // compiled plainly, as for any failed link, but the entry stays and nothing is blamed on the
  // cache: a failed split link always says why (before, 3 in 14 Ctrl-C'd builds of a soak evicted
  // a good entry with a SPLITCACHE_LINK_FAILED line).
  if (linkCode === 1 && stdout.length === 0 && stderr.length === 0) return { code, linkCode, about: { interrupted: true } };
  // Which crate, and where its link's own words are: a one-off failure named neither, and was lost (a helper's finding).
  // A build script by its package (crateCalled.ts): every one is build_script_build.
  const inv = parseInvocation(args);
  const crate = crateCalled(inv.crateName, crateTypeLabel(inv), side.pkg);
  if (code === 0) side.warn(`SPLITCACHE_LINK_FAILED: the split link${crate ? ` of ${crate}` : ''} failed where a plain rustc succeeds; compiled uncached (its entry is evicted; daemon.log has the link's error)`);
  return { code, linkCode, about: { detail: linkError(stderr) } };
}

/** What a failed link step says for itself (`linked`), kept in daemon.log with its eviction. */
export interface LinkAbout {
  /** Ended by a signal from outside (endedBySignal): no fault of the entry's. */
  interrupted?: boolean;
  /** The link step's error, in one line of at most 400 characters. */
  detail?: string;
}

/**
 * rustc's error line of a failed link and what the linker said (its `= note:`s but the command
 * line and rustc's own remark on it), in one line: `error: linking with `cc` failed: exit status:
 * 1 | split link refused | /usr/bin/ld: cannot find -lfoo`. Under cargo, rustc says it in JSON
 * (`--error-format=json`): its message and its notes' are taken, as rustc renders them.
 */
export function linkError(stderr: Buffer): string {
  const said: string[] = [];
  for (const raw of stderr.toString('utf8').split('\n').flatMap(diagnosticLines)) {
    const line = raw.trim().replace(/^= note:\s*/, '');
    if (!line || line === '|' || /^error: aborting/.test(line) || /^"|^LC_ALL=|^env -u|^some arguments are omitted/.test(line)) continue;
    said.push(line);
  }
  return said.join(' | ').slice(0, 400);
}

/**
 * A line of rustc's stderr as its human form's lines: a JSON diagnostic's level and message, then
 * its notes' messages. Taken as it was, a cargo build's daemon.log kept the diagnostic's first 400
 * characters, the linker's command line, and never what the linker said (`cannot open …`).
 */
function diagnosticLines(line: string): string[] {
  if (!line.startsWith('{"')) return [line];
  try {
    const d = JSON.parse(line) as { level?: unknown; message?: unknown; children?: { message?: unknown }[] };
    if (typeof d.message !== 'string') return [line];
    const notes = Array.isArray(d.children) ? d.children.flatMap((c) => (typeof c?.message === 'string' ? c.message.split('\n') : [])) : [];
    return [`${typeof d.level === 'string' ? `${d.level}: ` : ''}${d.message}`, ...notes];
  } catch {
    return [line];
  }
}

/**
 * Whether a failed link step was ended by a signal from outside: its rustc (128 + the signal's
 * number, as both clients report it), or the linker it ran (rustc says `linking with `cc` failed:
 * signal: 9 (SIGKILL)`), or rustc stopped on a Ctrl-C (`compilation was interrupted`). Only the
 * signals something else sends (a hang-up, Ctrl-C or Ctrl-\, the OOM killer's or a `kill`): a
 * crash (SIGSEGV, SIGABRT, SIGBUS, SIGILL) may be the split's own fault, and a plain rustc may succeed.
 */
export function endedBySignal(code: number, stderr: Buffer): boolean {
  if (code > 128) return SENT.has(code - 128);
  const text = stderr.toString('utf8');
  // `cc` itself, or the linker under it (gcc's collect2 names the signal; clang names it in words):
  // the OOM killer picks the largest process, which is the linker (ld, ld.lld), not the driver.
  const signal = /linking with `[^`]*` failed: signal: (\d+)/.exec(text) ?? /collect2: fatal error: \S+ terminated with signal (\d+)/.exec(text);
  if (signal !== null && SENT.has(Number(signal[1]))) return true;
  return /clang(-\d+)?: error: unable to execute command: (Killed|Terminated|Interrupt|Hangup|Quit)\b/.test(text) || /compilation was interrupted/.test(text);
}

/** SIGHUP, SIGINT, SIGQUIT, SIGKILL, SIGTERM. */
const SENT = new Set([1, 2, 3, 9, 15]);
