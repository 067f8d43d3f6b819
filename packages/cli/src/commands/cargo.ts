import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { newUncachedNotes, settingValue } from '@splitcache/daemon/protocol';
import type { AuditEvent } from '@splitcache/store';
import { daemonRequest } from './daemonRequest.js';
import { summarise, summaryLine, uncachedCount, uncachedText } from './summary.js';
import { cannotRunLine } from '../cannotRun.js';

const BIN = join(fileURLToPath(import.meta.url), '..', '..', '..', '..', '..', '..', 'bin', 'splitcache');

/**
 * The signals that end a program run from a shell or a supervisor. One sent to
 * this process alone (`kill <pid>`, a supervisor or a test harness stopping
 * its child) is passed on to cargo, and this process waits for cargo to end:
 * if it went first, cargo would carry on alone, building and holding the
 * target dir's lock. A Ctrl-C (SIGINT) or a hang-up (SIGHUP) of the terminal
 * whose foreground this process is in reached cargo already, as the terminal
 * signals the whole process group: it is not sent again, since a second one
 * would tell the program of a `cargo run` (cargo execs it) to stop at once
 * where it was stopping gracefully.
 */
const PASSED_ON = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const FROM_TERMINAL: readonly string[] = ['SIGINT', 'SIGHUP'];

/** Whether this process is in its terminal's foreground process group (/proc/self/stat: pgrp is tpgid). */
function inForeground(): boolean {
  try {
    const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
    return f[2] === f[5];
  } catch {
    return false;
  }
}

/**
 * Whether cargo was asked to be quiet: `-q`/`--quiet` (or `-q` among other short switches, `-qr`)
 * before any `--`, or CARGO_TERM_QUIET=true. Then the summary line is left out too, as cargo
 * leaves out its own.
 */
export function cargoIsQuiet(args: string[], env: NodeJS.ProcessEnv): boolean {
  const ours = args.includes('--') ? args.slice(0, args.indexOf('--')) : args;
  // `--config term.quiet=true` too (`--config=…`, spaces around `=`): the line was said where cargo said nothing (a helper's find).
  const configured = ours.some((a, i) => {
    const value = a.startsWith('--config=') ? a.slice(9) : a === '--config' ? ours[i + 1] : undefined;
    return value !== undefined && /^\s*term\.quiet\s*=\s*true\s*$/.test(value);
  });
  return env.CARGO_TERM_QUIET === 'true' || configured || ours.some((a) => a === '--quiet' || /^-[qrv]*q[qrv]*$/.test(a));
}

/** A file for this build's calls that build uncached for a fault to note their codes in (protocol.ts, newUncachedNotes); undefined if none can be made. */
function makeUncachedNotes(): string | undefined {
  try {
    const notes = newUncachedNotes();
    writeFileSync(notes, '', { flag: 'wx', mode: 0o600 });
    sweepUncachedNotes(dirname(notes));
    return notes;
  } catch {
    return undefined;
  }
}

/**
 * Removes the notes files of `splitcache cargo` runs that ended without removing theirs (a
 * SIGKILL: the OOM killer, a CI job cancelled), each left for good before (a helper's finding).
 * Only one whose process is gone and that no call wrote for an hour: a pid in another pid
 * namespace sharing this temp dir reads as gone here.
 */
function sweepUncachedNotes(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return; // the run's own notes stand: an unreadable dir only leaves others' files
  }
  for (const name of names) {
    const pid = /^uncached\.(\d+)\./.exec(name)?.[1];
    if (pid === undefined || Number(pid) === process.pid || alive(Number(pid))) continue;
    try {
      if (Date.now() - statSync(join(dir, name)).mtimeMs > NOTES_ABANDONED_MS) rmSync(join(dir, name), { force: true });
    } catch {
      /* gone meanwhile */
    }
  }
}

const NOTES_ABANDONED_MS = 3_600_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}

/** The codes noted, counted; the file is removed. */
function takeUncachedNotes(notes: string | undefined): Record<string, number> {
  const counts: Record<string, number> = {};
  if (!notes) return counts;
  try {
    const text = readFileSync(notes, 'utf8');
    rmSync(notes, { force: true });
    for (const code of text.split('\n')) if (/^SPLITCACHE_[A-Z_]+$/.test(code)) counts[code] = (counts[code] ?? 0) + 1;
  } catch {
    /* none noted */
  }
  return counts;
}

/** `splitcache cargo <args…>`: cargo with splitcache as RUSTC_WRAPPER and a fresh session id (unless SPLITCACHE_SESSION names one: empty or blanks is unset). */
export async function runCargo(args: string[]): Promise<number> {
  const notes = makeUncachedNotes();
  const env: NodeJS.ProcessEnv = {
    ...process.env, RUSTC_WRAPPER: BIN, SPLITCACHE_SESSION: settingValue(process.env, 'SPLITCACHE_SESSION') ?? randomBytes(6).toString('hex'),
    ...(notes ? { SPLITCACHE_UNCACHED_NOTES: notes } : {}),
  };
  // The signals ignored where this was started (`nohup`: bin/splitcache says which): ignored here, and by cargo.
  const ignored = PASSED_ON.filter((s) => (env.SPLITCACHE_IGNORED_SIGNALS ?? '').split(' ').includes(s));
  delete env.SPLITCACHE_IGNORED_SIGNALS;
  const started = Date.now();
  // Listened for before cargo starts: a signal that came between the two (a Ctrl-C as cargo's first
  // output appears, on a loaded machine) ended this process by node's default action, while cargo went on.
  // A listener runs only once this function has returned to the event loop, so `child` is set by then.
  let child: ChildProcess | undefined;
  const passOn = (signal: NodeJS.Signals) => (FROM_TERMINAL.includes(signal) && inForeground()) || child?.kill(signal);
  const listeners = PASSED_ON.map((s) => [s, ignored.includes(s) ? () => undefined : passOn] as const);
  for (const [s, fn] of listeners) process.on(s, fn);
  const program = process.env.CARGO ?? 'cargo';
  // A child's signals are reset as it starts: sh ignores them again (`trap ''`), and exec keeps that.
  const cargo = ignored.length === 0
    ? spawn(program, args, { stdio: 'inherit', env })
    : spawn('/bin/sh', ['-c', `trap '' ${ignored.map((s) => s.slice(3)).join(' ')}; exec "$0" "$@"`, program, ...args], { stdio: 'inherit', env });
  child = cargo;
  const [code, signal] = await new Promise<[number, NodeJS.Signals | null]>((res) => {
    cargo.on('error', (e) => {
      process.stderr.write(cannotRunLine(program, e));
      res([127, null]);
    });
    cargo.on('close', (c, s) => res([c ?? 1, s]));
  });
  // Taken (and removed) whether or not a line is printed.
  const uncached = takeUncachedNotes(notes);
  // The summary line goes to stderr, where SPLITCACHE_LOG=quiet wants nothing of splitcache's.
  if (process.env.SPLITCACHE_LOG !== 'quiet' && !cargoIsQuiet(args, process.env)) {
    const r = await daemonRequest<{ events: AuditEvent[]; maxEntryBytes?: number }>({ op: 'audit', since: started, session: env.SPLITCACHE_SESSION, parts: true }, false).catch(() => undefined);
    // Its session named, for `stats`, `audit`, `explain` and `report --session`: only `audit --json` showed it.
    if (r?.events?.length) process.stderr.write(`${summaryLine(summarise(r.events), r.maxEntryBytes, uncached)}; session ${env.SPLITCACHE_SESSION}\n`);
    // No daemon answered at the end (it stopped for an upgrade, or never could start): what is known is said.
    else if (uncachedCount(uncached)) process.stderr.write(`splitcache: no daemon answered for this build's summary${uncachedText(uncached)}; session ${env.SPLITCACHE_SESSION}\n`);
  }
  for (const [s, fn] of listeners) process.off(s, fn);
  if (signal) {
    // cargo was ended by one of these signals: so is this process, as a shell running cargo itself
    // would see it (bash stops a loop on a Ctrl-C that way). Any other (a SIGKILL, a crash): its
    // number, as a shell gives it.
    if ((PASSED_ON as readonly string[]).includes(signal)) process.kill(process.pid, signal);
    return 128 + (constants.signals[signal] ?? 0);
  }
  return code;
}
