/**
 * The thin wrapper client: `splitcache <rustc> <args…>`. Its start-up is the
 * hot path (one process per rustc call), so it is bundled into one file and
 * imports only node builtins, msgpackr and the protocol framing. Everything
 * else (hashing, LevelDB, path rewriting) lives in the daemon.
 */
import { whyNotStarted } from './cannotRun.js';
import { appendFileSync, closeSync, constants, fstatSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isatty } from 'node:tty';
import { oneLine } from '@splitcache/errors';
import { compilerCall, crateNameOfCall, isInfoCall, linkHalfOf } from '@splitcache/rustc';
import { carryOut, type CallSide } from '@splitcache/daemon/callFlow';
import { cargoTerminalOf } from '@splitcache/daemon/cargoStderr';
import { layoutTerminal } from '@splitcache/daemon/terminalArgs';
import { mountNamespace, settingValue, storeDir, switchedOn, tempFileFor, PROTOCOL_VERSION, doneToWire, planFromWire, type CompilePlan, type DoneReply, type WirePlan } from '@splitcache/daemon/protocol';
import { bundleSkew } from './bundleSkew.js';
import { DaemonSilent, type DaemonConnection } from './daemonConnection.js';
import { stopHungDaemon } from './daemonPid.js';
import { sampleDaemon } from './daemonWatch.js';
import { connectOrStart } from './daemonStart.js';
import { firstToSay } from './faultMarker.js';
import { streamsInUse, whenFlushed, writeOut } from './directOutput.js';
import { installIncomplete } from './installIncomplete.js';
import { runCargoPlainly } from './cargoPlainly.js';
import { jobserverFds, stdioWith } from './jobserver.js';
import { spawnKind, spawnProcess } from './processSpawn.js';
import { SUBCOMMANDS } from './subcommands.js';

/**
 * Milliseconds since this process started. process.uptime() rather than
 * performance.now(): the `performance` global loads node:perf_hooks on first
 * use, about a millisecond of every call's start-up.
 */
const now = () => process.uptime() * 1000;
const started = now();
let workMs = 0;
/** Milestones for SPLITCACHE_TIMING_LOG: where a call's time goes. */
const marks: Record<string, number | string> = {};
/** Whether this process is a rustc call (the wrapper), which SPLITCACHE_TIMING_LOG times: a subcommand (`cargo`, `stats`) is not one. */
let aCall = false;
const mark = (name: string) => (marks[name] = Math.round(now() * 10) / 10);
/** This install's daemon entry, which a call starts where none runs. */
const DAEMON_MAIN = join(__dirname, '..', '..', 'daemon', 'dist', 'bundle', 'main.cjs');

// bin/splitcache parks NODE_EXTRA_CA_CERTS (it costs every node start ~80 ms)
// and NODE_OPTIONS (meant for the user's own node programs); everything this
// client starts gets the user's environment back unchanged, but the daemon
// (daemonStart.ts).
for (const [parked, name] of [
  ['SPLITCACHE_PARKED_CA_CERTS', 'NODE_EXTRA_CA_CERTS'],
  ['SPLITCACHE_PARKED_NODE_OPTIONS', 'NODE_OPTIONS'],
] as const) {
  if (process.env[parked] !== undefined) {
    process.env[name] = process.env[parked];
    delete process.env[parked];
  }
}

/**
 * The client and the daemon load node's builtins through process.getBuiltinModule
 * (Node.js 20.16 and 22.3). An older node (Debian 12 ships 18) would fail the
 * call; it builds uncached instead, and a subcommand says what to install.
 */
const NODE_TOO_OLD = typeof process.getBuiltinModule !== 'function';
const NODE_NEEDED = 'Node.js 20.16 or later (22.3 or later on 22) on PATH, or SPLITCACHE_NODE naming it';

async function main(argv: string[]): Promise<number> {
  const subcommand = argv.length === 0 || SUBCOMMANDS.includes(argv[0]!) || argv[0]!.startsWith('-');
  if (NODE_TOO_OLD) return tooOld(argv, subcommand);
  if (subcommand) {
    // Its output goes through process.stdout, which node queues on a pipe: the exit below waits for it.
    streamsInUse();
    let cli: { runCli(argv: string[]): Promise<number> };
    try {
      cli = (await import(join(__dirname, 'src', 'cli.js'))) as typeof cli;
    } catch (err) {
      return installIncomplete(argv, err, resolve(__dirname, '..', '..', '..'));
    }
    return cli.runCli(argv);
  }
  return wrap(argv);
}

/**
 * On a node too old to run splitcache: a subcommand fails as a missing command does, but
 * `splitcache cargo`, which runs cargo uncached (as with no node: bin/splitcache); a compile runs
 * plainly, uncached. `splitcache cargo build` exited 127 without running cargo (a docs audit's find).
 */
async function tooOld(argv: string[], subcommand: boolean): Promise<number> {
  const cargo = argv[0] === 'cargo';
  if (subcommand && !cargo) {
    warn(`SPLITCACHE_NODE_TOO_OLD: ${process.execPath} is Node.js ${process.version}; splitcache needs ${NODE_NEEDED}`);
    return 127;
  }
  aCall = !subcommand;
  // The build's one line, as with no node (bin/splitcache): its calls' own wait out the minute.
  warnOnce('SPLITCACHE_NODE_TOO_OLD', `${process.execPath} is Node.js ${process.version} (${cargo ? 'running cargo' : 'building'} uncached; splitcache needs ${NODE_NEEDED})`);
  // Only so that the plain run below can start rustc or cargo: the one builtin path this call takes.
  const { createRequire } = await import('node:module');
  const load = createRequire(__filename);
  Object.assign(process, { getBuiltinModule: (id: string) => load(id) as unknown });
  if (cargo) return runCargoPlainly(argv.slice(1), resolve(__dirname, '..', '..', '..'));
  const [rustc, ...args] = argv as [string, ...string[]];
  return (await run(rustc, args, jobserverFds(process.env), false)).code;
}

async function wrap(argv: string[]): Promise<number> {
  aCall = true;
  const [rustc, ...args] = argv as [string, ...string[]];
  const fds = jobserverFds(process.env);
  const call = compilerCall(argv);
  // An info call, or the cache turned off: straight through. So is another tool in front of rustc (any
  // but a known driver such as clippy-driver), or a compiler not named rustc, unless the call compiles a
  // crate: the daemon counts that one (`other-program`), which runs untouched (the daemon it starts is not
  // told to probe that program, which may be no rustc); before, `stats` showed no
  // call at all for a build whose RUSTC was named otherwise, and nothing said why.
  const counted = call !== undefined || crateNameOfCall(argv) !== '';
  if (!counted || isInfoCall(args) || switchedOn(process.env.SPLITCACHE_DISABLE)) return (await run(rustc, args, fds, false)).code;

  mark('wrap');
  // No store dir to be found (no HOME, and a uid with no home directory): as a daemon that can't be reached.
  const dir = knownStoreDir();
  const conn = dir instanceof Error ? dir : await connectOrStart(dir, DAEMON_MAIN, undefined, call ? rustc : undefined).catch((e: Error) => e);
  if (!conn || conn instanceof Error) {
    warnOnce('SPLITCACHE_DAEMON_UNREACHABLE', `${conn?.message ?? 'no daemon answered'} (building uncached)`);
    return (await run(rustc, args, fds, false)).code;
  }
  mark('connected');
  conn.onSilent = () => stopHungDaemon(dir as string);
  conn.sample = () => sampleDaemon(dir as string);
  marks.socket = conn.kind ?? '';
  marks.spawn = spawnKind();
  let plan: CompilePlan;
  try {
    const wire = await conn.request<WirePlan>({ op: 'compile', v: PROTOCOL_VERSION, argv, cwd: process.cwd(), env: process.env, mnt: mountNamespace('self'), umask: process.umask(), creds: { uid: process.geteuid!(), gid: process.getegid!(), groups: process.getgroups!() }, stderrTty: isatty(2), ...ownTerminal() });
    if (!wire || typeof wire !== 'object' || !('action' in wire)) throw new Error(`bad reply ${JSON.stringify(wire)}`);
    plan = planFromWire(wire);
  } catch (err) {
    conn.close();
    // Of an install whose daemon bundle speaks another protocol, a call may reach that daemon as it stops for another's.
    const skew = bundleSkew(DAEMON_MAIN);
    if (skew) warnOnce('SPLITCACHE_DAEMON_PROTOCOL', `${skew} (building uncached)`, 'bundle-skew');
    else warnOnce(err instanceof DaemonSilent ? err.code : 'SPLITCACHE_DAEMON_PROTOCOL', `${(err as Error).message} (building uncached)`);
    return (await run(rustc, args, fds, false)).code;
  }

  mark('planned');
  // Passed through for its protocol where this install's own daemon bundle speaks another: its line said it restarts, but the next call starts the same one.
  const skew = plan.action === 'passthrough' && plan.reason === 'protocol-version' ? bundleSkew(DAEMON_MAIN) : undefined;
  if (skew) warnOnce('SPLITCACHE_DAEMON_PROTOCOL', `${skew} (building uncached)`, 'bundle-skew');
  else if (plan.warning) warn(plan.warning);
  if (plan.action === 'passthrough') {
    conn.close();
    return (await run(rustc, args, fds, false)).code;
  }
  const side: CallSide = {
    run: (runArgs, bootstrap, capture) => run(rustc, runArgs, fds, bootstrap, capture),
    write: writeOut,
    warn,
    uncached: noteUncached,
    done: (r) => conn.request<DoneReply>(doneToWire({ op: 'done', ...r })),
    linked: (token, code, plain, about) => conn.request({ op: 'linked', token, code, plain, ...about }).then(() => undefined),
    removeFile: (path) => {
      try {
        unlinkSync(path);
      } catch {
        /* already gone */
      }
    },
    fallbackLink: (noLinkArgs) => {
      const half = linkHalfOf(noLinkArgs, call?.lead);
      return { args: half.linkOnlyArgs, rlinkPath: resolve(half.rlinkPath) };
    },
    mark,
    debug: process.env.SPLITCACHE_LOG === 'debug',
    pkg: process.env.CARGO_PKG_NAME,
  };
  try {
    return await carryOut(plan, args, side);
  } finally {
    // The daemon forgets the call's token when the socket closes.
    conn.close();
  }
}

/** The terminal this process's rustc would lay out for (its descriptors', else its controlling terminal: daemon/src/terminalArgs.ts). */
function ownTerminal(): { terminal?: { tty: number; session: number } } {
  try {
    const devices = [1, 0, 2].map((fd) => {
      try {
        const st = fstatSync(fd);
        return st.isCharacterDevice() ? st.rdev : undefined;
      } catch {
        return undefined;
      }
    });
    const terminal = layoutTerminal(readFileSync('/proc/self/stat', 'latin1'), devices);
    return terminal ? { terminal } : {};
  } catch {
    return {};
  }
}

/** The store dir this call's environment names, or the error saying it names none. */
function knownStoreDir(): string | Error {
  try {
    return storeDir(process.env);
  } catch (err) {
    return err as Error;
  }
}

/**
 * Runs rustc. `capture`: relay stdout/stderr as they come and keep a copy;
 * 'quiet': keep a copy only.
 */
function run(rustc: string, args: string[], fds: number[], bootstrap: boolean, capture: boolean | 'quiet' = false) {
  const env = bootstrap ? { ...process.env, RUSTC_BOOTSTRAP: '1' } : process.env;
  const t0 = now();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const events =
    capture === false
      ? {}
      : {
          stdout: (d: Buffer) => {
            out.push(d);
            if (capture === true) writeOut(1, d);
          },
          stderr: (d: Buffer) => {
            err.push(d);
            if (capture === true) writeOut(2, d);
          },
        };
  return spawnProcess(rustc, args, stdioWith(fds, capture === false ? 'inherit' : 'pipe'), env, events).then(({ code, signal, error }) => {
    workMs += now() - t0;
    if (error) writeOut(2, Buffer.from(`splitcache: cannot run ${rustc}: ${whyNotRun(rustc, error)}\n`));
    return { code: error ? 127 : (code ?? (signal ? 128 + signalNumber(signal) : 1)), stdout: Buffer.concat(out), stderr: Buffer.concat(err) };
  });
}

/**
 * Why `program` could not be started, in words rather than node's (`spawn status ENOENT`).
 * `splitcache status` (a command mistyped) runs a program named `status`: when there is none,
 * say that it is no command either.
 */
function whyNotRun(program: string, error: Error): string {
  return whyNotStarted(program, error, 'no such program, and no splitcache command (`splitcache --help` lists them)');
}

/**
 * The number of `signal`, from node's own table (loaded only here: a call whose rustc a signal
 * ended). A short list of seven before said 1 for any other: a rustc that aborted (SIGABRT: an
 * LLVM assertion, a failed allocation) ended the call with 129, where a shell, and bash on the
 * exec port, say 134.
 */
function signalNumber(signal: NodeJS.Signals): number {
  try {
    return process.getBuiltinModule('node:os').constants.signals[signal] ?? 1;
  } catch {
    return 1;
  }
}

/** A line for the user: on cargo's terminal where cargo ran this call from one, as cargo would keep it and replay it (daemon/cargoStderr.ts). */
function warn(line: string): void {
  if (process.env.SPLITCACHE_LOG === 'quiet') return;
  const text = Buffer.from(line.startsWith('splitcache:') ? `${line}\n` : `splitcache: ${line}\n`);
  const cargo = cargoTerminalOf(process.pid, process.env);
  if (cargo) {
    try {
      const fd = openSync(cargo, constants.O_WRONLY | constants.O_NOCTTY);
      try {
        writeSync(fd, text);
      } finally {
        closeSync(fd);
      }
      return;
    } catch {
      /* said on this call's stderr instead */
    }
  }
  writeOut(2, text);
}

/**
 * A client-side fault (the daemon can't be reached, say) happens in every
 * rustc call of the build at once: it is shown once a minute per store and
 * code, not once per crate (faultMarker.ts: of calls at once, one says it).
 * The marker lives in the temp dir, which still works when the store's disk
 * is full. `marker`: its name, where one code has lines of several faults
 * (the code by default).
 */
function warnOnce(code: string, line: string, marker = code): void {
  noteUncached(code);
  let file: string | undefined;
  try {
    // With no store dir (knownStoreDir), the marker of the calls that have none.
    const dir = knownStoreDir();
    file = tempFileFor(dir instanceof Error ? '' : dir, `warned-${marker}`);
  } catch {
    /* none can be kept (the temp dir's splitcache-<uid> is not this user's): said by each call */
  }
  if (file === undefined || firstToSay(file)) warn(`${code}: ${line}`);
}

/** Notes, for `splitcache cargo`'s summary line, that this call builds uncached for a fault (protocol.ts, newUncachedNotes); every such call warns through warnOnce. */
function noteUncached(code: string): void {
  const notes = settingValue(process.env, 'SPLITCACHE_UNCACHED_NOTES');
  if (!notes) return;
  try {
    // Only to the file splitcache cargo made (no O_CREAT), each line appended whole (O_APPEND: calls at once).
    const fd = openSync(notes, constants.O_WRONLY | constants.O_APPEND);
    try {
      writeSync(fd, `${code}\n`);
    } finally {
      closeSync(fd);
    }
  } catch {
    /* the summary line misses it: the build does not */
  }
}

// Until main settles, the exit code says the client failed: if the event loop
// ever ran dry with main still waiting, node would otherwise exit 0, and cargo
// would carry on without this call's outputs.
process.exitCode = 70;
main(process.argv.slice(2)).then(
  (code) => {
    const log = settingValue(process.env, 'SPLITCACHE_TIMING_LOG');
    if (log && aCall) {
      try {
        appendFileSync(log, JSON.stringify({ wallMs: now(), workMs, startMs: started, ...marks }) + '\n');
      } catch {
        /* timing is best effort */
      }
    }
    process.exitCode = code;
    // Nothing is left to do once the output is out: exit now rather than wait
    // for the socket's close and the heap's teardown.
    whenFlushed(() => process.exit(code));
  },
  (err: unknown) => {
    // One line; where it came from only under SPLITCACHE_LOG=debug.
    process.stderr.write(`splitcache: ${process.env.SPLITCACHE_LOG === 'debug' ? ((err as Error)?.stack ?? String(err)) : oneLine(err)}\n`);
    process.exitCode = 1;
  },
);
