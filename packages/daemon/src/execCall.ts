/**
 * One call on the exec port (execServer.ts), carried out with the caller:
 * the daemon plans, replays and stores, and the caller, bin/splitcache under
 * bash, runs each rustc the plan needs as its own child. node spawns by
 * forking the whole daemon (6.7 ms of its main thread per rustc, measured on
 * a cold grep build, a third of its CPU); bash forks a small process, and the
 * child inherits cargo's pipes, jobserver, umask, environment and process
 * group as a plain rustc would.
 *
 * A run, on the caller's connection: the daemon writes the arguments into
 * `<runs>/<id>` (runsDir.ts; NUL-terminated: bash reads a file in blocks, a
 * socket a byte at a time, 3 ms for 2 KB here) and sends
 * `run <how> <bootstrap> <id>`:
 *   plain  rustc's output goes straight to the caller's stdout and stderr;
 *   quiet  stdout to `<runs>/<id>.out`, stderr to `<id>.err`, read here
 *          after the run (a link step's output, held back until it succeeds);
 *   tee    (`run tee <bootstrap> <id> <marker>`) stdout to `<runs>/<id>.out`,
 *          stderr onto this connection, which the daemon relays to the
 *          caller's stderr as it comes and keeps (a miss: cargo reads rustc's
 *          artifact notices from it while rustc still runs). Once rustc has
 *          exited, the caller writes a NUL and the marker, then its answer:
 *          all that came before is rustc's stderr (teeStderr.ts). A caller
 *          of an earlier version (`sc-exec/9` and before), which sent it over
 *          a second connection, is given a quiet run instead, its stderr
 *          relayed once it ends.
 *          rustc blocks writing its stderr while this daemon is hung, and
 *          the caller, waiting for it, would never hear that: so a caller
 *          that watches (`sc-exec/11`, `/10`: the callers given tee runs) gets an empty line every ALIVE_MS
 *          meanwhile (execServer.ts), read by a watchdog it starts beside
 *          rustc, which kills a daemon silent for SILENCE_MS; rustc's write
 *          then fails, and the call builds plainly. The caller ends the
 *          watchdog before it answers, and skips the empty lines it left.
 * `bootstrap` 1 sets RUSTC_BOOTSTRAP=1 (the -Z flags). The caller answers
 * `ran <code> <how>` when rustc has exited.
 *
 * A crate that links ends with its link step, a quiet run of its own: hit or
 * miss. rustc's own start, before it reads its arguments, is ~40 ms here
 * (most of a `rustc -vV`), on the critical path of every linked crate. So a
 * caller that can (`sc-exec/11`, `/9`) is sent `pre quiet 1 <id>` as soon as the
 * call is known to link: it starts rustc at once, with `@/dev/fd/N`, a pipe,
 * as its only argument, and its output to `<id>.out` and `.err`. rustc starts
 * and blocks reading that argument file. When the link step comes, the run
 * `run quiet 1 <id>` sends its arguments down the pipe, one a line as rustc
 * reads an @file, and waits as for any run. So rustc's start overlaps the
 * lookup and replay of a hit, or the whole -Zno-link compile of a miss. A
 * link whose arguments can't go through an @file unchanged (a newline or a
 * carriage return in one, or one starting with `@`, which rustc would expand
 * on its command line but not in the file) runs as usual instead. A rustc
 * started and never given its run (a compile error, a pass-through) is killed
 * by the caller when the call ends; the daemon removes its files.
 *
 * A run that can't be set up (its
 * arguments can't be written here, or its files can't be opened there) ends
 * the call as a pass-through: the caller execs rustc as called, uncached;
 * so does a run whose rustc failed while the runs dir was full, nothing
 * stored, nothing evicted. A full /dev/shm moves the runs to the store dir,
 * where the run is set up again (runFiles.ts).
 */
import type { Socket } from 'node:net';
import { appendFile, close, constants, open, readFile, unlink } from 'node:fs';
import { cargoTerminalOf } from './cargoStderr.js';
import { dirname, resolve } from 'node:path';
import { oneLine, SplitcacheError } from '@splitcache/errors';
import { compilerCall, linkHalfOf } from '@splitcache/rustc';
import { carryOut, type CallSide, type RunResult } from './callFlow.js';
import type { CompileHandler } from './compileHandler.js';
import type { Caller, CallerProof } from './procCaller.js';
import { PROTOCOL_VERSION, settingValue, type CompilePlan } from './protocol.js';
import { lostOutput, outputLost, runFiles, RunSetupFailed, setUpRun, type RunFiles } from './runFiles.js';
import { TeeStderr } from './teeStderr.js';
import { writeAll } from './writeAll.js';

export interface ExecRequest {
  pid: number;
  so: number;
  se: number;
  startedAt: number;
  argv: string[];
  /** The caller takes `pre` (it said `sc-exec/11`, `/9`, `/7`, `/5` or `/3`). */
  prestarts?: boolean;
  /** The caller takes `alive` lines, and gives up on a daemon that sends it nothing for SILENCE_MS (protocol.ts). */
  alive?: boolean;
  /** What the caller sends to show the pid is its own (`sc-exec/8` and later): procCaller.ts. */
  proof?: CallerProof;
  /**
   * The caller sends a tee run's stderr on its connection, then the run's marker (`sc-exec/11`,
   * `/10`), and watches the run: it takes empty lines meanwhile, and stops a daemon silent for
   * SILENCE_MS. An earlier caller is given no tee run.
   */
  inline?: boolean;
}

/** What a call needs of the exec server: run ids, files and markers. */
export interface RunDesk {
  /** The directory the argument and output files of runs live in, as exec.port names it now. */
  runsDirNow(): string;
  /** The one named in the exec.port that a caller which started at `startedAt` read (runsHome.ts). */
  runsDirFor(startedAt: number): string;
  /** A run found `dir` full: RunsHome.full. */
  runsDirFull(dir: string): { moved: boolean; line?: string };
  nextRunId(): string;
  /** What the caller writes before its answer to run `id`, between a NUL and a space: what no rustc writes by chance. */
  runMarker(id: string): string;
}

/** The caller went away (cargo interrupted, or it gave up waiting): nothing more is done or reported for it. */
export class CallerGone extends Error {
  constructor() {
    super('the caller went away');
  }
}

const EMPTY = Buffer.alloc(0);
/** Longer than any `ran <code> <how>`. */
const MAX_ANSWER = 64;

export class ExecCall {
  private writes: Promise<void> = Promise.resolve();
  private workMs = 0;
  private readonly t0 = Date.now();
  private gone = false;
  private ended = false; // end(): the caller's descriptors are closed, or about to be
  private lineBuf = '';
  /** The stderr before the answer of the run under way (an `inline` caller's). */
  private tee: TeeStderr | undefined;
  /** That answer's marker has come, and its line is coming. */
  private answering = false;
  /** The run waiting for its `ran` line, if any, and how it runs. */
  private waiting: { resolve(line: string): void; reject(err: Error): void; how: string } | undefined;
  /** Milestones for SPLITCACHE_TIMING_LOG, in ms since the caller started, as the node client keeps them. */
  private readonly marks: Record<string, number> = {};
  /** The files of the rustc started ahead (`pre`) and not yet given its run. */
  private pre: RunFiles | undefined;
  /** The runs dir named in the exec.port that the caller read. */
  private readonly runsDir: string;

  constructor(
    private readonly c: Socket,
    private readonly req: ExecRequest,
    private readonly caller: Caller,
    private readonly handler: CompileHandler,
    private readonly desk: RunDesk,
  ) {
    this.gone = c.destroyed;
    this.runsDir = desk.runsDirFor(req.startedAt);
    c.on('data', (d: Buffer) => this.input(d));
    c.on('close', () => {
      this.gone = true;
      // The caller has killed a rustc started ahead and never run (it does so before it ends).
      if (this.pre !== undefined) for (const ext of ['.out', '.err']) unlink(this.pre.stem + ext, () => undefined);
      this.waiting?.reject(new CallerGone());
      this.waiting = undefined;
    });
  }

  /** The exit code, or 'plain': the caller is to exec rustc as it was called (a pass-through). */
  async carry(): Promise<number | 'plain'> {
    const args = this.req.argv.slice(1);
    const { env, cwd } = this.caller;
    let plan: CompilePlan;
    try {
      const hooks = this.req.prestarts ? { willLink: () => this.prestart() } : undefined;
      plan = await this.handler.compile({ op: 'compile', v: PROTOCOL_VERSION, argv: this.req.argv, cwd, env, umask: this.caller.umask, creds: this.caller.creds, stderrTty: this.caller.stderrTty, terminal: this.caller.terminal }, hooks);
    } catch (err) {
      this.warn(`SPLITCACHE_DAEMON_PROTOCOL: ${oneLine(err)} (building uncached)`);
      return 'plain';
    }
    this.mark('planned');
    if (plan.warning) this.warn(plan.warning);
    if (plan.action === 'passthrough') return 'plain';
    const side: CallSide = {
      run: (runArgs, bootstrap, capture) => this.run(runArgs, bootstrap, capture),
      write: (fd, bytes) => this.write(fd, bytes),
      warn: (line) => this.warn(line),
      done: (r) => this.handler.done({ op: 'done', token: r.token, code: r.code, stdout: r.stdout, stderr: r.stderr, ms: r.ms }),
      linked: (token, code, plain, about) => this.handler.linked({ op: 'linked', token, code, plain, ...about }),
      removeFile: (path) => unlink(path, () => undefined),
      fallbackLink: (noLinkArgs) => {
        const half = linkHalfOf(noLinkArgs, compilerCall(this.req.argv)?.lead);
        return { args: half.linkOnlyArgs, rlinkPath: resolve(cwd, half.rlinkPath) };
      },
      mark: (name) => this.mark(name),
      debug: env.SPLITCACHE_LOG === 'debug',
      pkg: env.CARGO_PKG_NAME,
    };
    try {
      const code = await carryOut(plan, args, side);
      if (code === 0) this.handler.outputsMade(plan.token);
      return code;
    } catch (err) {
      if (!(err instanceof RunSetupFailed)) throw err;
      if (err.line) this.warn(err.line);
      this.removeRlink(err.args);
      this.handler.forget(plan.token, err.reason);
      return 'plain';
    } finally {
      this.handler.forget(plan.token);
    }
  }

  private mark(name: string): void {
    this.marks[name] = Math.round((Date.now() - this.req.startedAt) * 10) / 10;
  }

  /** Closes the caller's stdout and stderr once what was written is out; what comes later (a process rustc left behind holds the connection) goes nowhere: it went to whatever had taken the closed descriptor's number. */
  async end(): Promise<void> {
    this.ended = true;
    await this.writes;
    await this.caller.close();
  }

  private write(fd: 1 | 2, bytes: Uint8Array): void {
    if (bytes.length === 0 || this.ended) return;
    const target = fd === 1 ? this.caller.out : this.caller.err;
    // In order, off the event loop: a write blocks while cargo's pipe is full.
    this.writes = this.writes.then(() => writeAll(target, Buffer.from(bytes)));
  }

  /** A line for the user: on cargo's terminal where cargo ran the call from one, as cargo would keep it and replay it (cargoStderr.ts). */
  private warn(line: string): void {
    if (this.caller.env.SPLITCACHE_LOG === 'quiet' || this.ended) return;
    const text = Buffer.from(line.startsWith('splitcache:') ? `${line}\n` : `splitcache: ${line}\n`);
    const cargo = cargoTerminalOf(this.req.pid, this.caller.env);
    if (!cargo) return this.write(2, text);
    this.writes = this.writes.then(() => new Promise<void>((res) => {
      open(cargo, constants.O_WRONLY | constants.O_NOCTTY, (err, fd) => {
        if (err) return writeAll(this.caller.err, text).then(res);
        void writeAll(fd, text).then(() => close(fd, () => res()));
      });
    }));
  }

  /**
   * What the caller sends: the answer to each run, `ran …`, and from a caller that sends a tee run's
   * stderr here (`inline`), that stderr before it. Such a caller's answer follows a NUL and its
   * run's marker, and every other byte is stderr: a tee run's rustc's, or that of a process it left
   * behind, which still holds the connection and writes after the answer (before, those bytes were
   * taken for the next answer, and its call failed). Those go to the caller's stderr, where they
   * would have gone without splitcache.
   */
  private input(d: Buffer): void {
    if (!this.req.inline) return this.lines(d);
    while (d.length > 0) {
      if (this.tee) {
        const rest = this.tee.push(d);
        if (rest === undefined) return;
        this.tee = undefined;
        this.answering = true;
        d = rest;
      } else if (this.answering) {
        const nl = d.indexOf(10);
        this.lineBuf += d.toString('latin1', 0, nl < 0 ? d.length : nl);
        // No answer is this long: what came is answered as it is, and fails the call.
        if (nl < 0 && this.lineBuf.length <= MAX_ANSWER) return;
        const line = this.lineBuf;
        this.lineBuf = '';
        this.answering = false;
        this.answer(line);
        d = nl < 0 ? EMPTY : d.subarray(nl + 1);
      } else {
        return this.write(2, d);
      }
    }
  }

  /** The answers of a caller of an earlier version: lines, `ran …`. */
  private lines(d: Buffer): void {
    this.lineBuf += d.toString('latin1');
    for (let nl = this.lineBuf.indexOf('\n'); nl >= 0; nl = this.lineBuf.indexOf('\n')) {
      const line = this.lineBuf.slice(0, nl);
      this.lineBuf = this.lineBuf.slice(nl + 1);
      this.answer(line);
    }
  }

  /** Gives `line` to the run waiting for its answer. */
  private answer(line: string): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.resolve(line);
  }

  /** Whether the caller is running a rustc for this call (it waits on that, not on the daemon). */
  get running(): boolean {
    return this.waiting !== undefined;
  }

  /** Whether that rustc is a tee run's, whose stderr comes through this daemon. */
  get teeing(): boolean {
    return this.waiting?.how === 'tee';
  }

  /** Has the caller start the link step's rustc now, to be given its arguments by its run. */
  private prestart(): void {
    if (this.gone || this.pre !== undefined) return;
    this.pre = this.newRun();
    this.c.write(`pre quiet 1 ${this.pre.id}\n`);
    this.mark('prestarted');
  }

  /** Has the caller run rustc with `args`, as CallSide.run describes; rejects with CallerGone. */
  private async run(args: string[], bootstrap: boolean, capture: boolean | 'quiet'): Promise<RunResult> {
    if (this.gone) throw new CallerGone();
    // A caller of an earlier version took a tee run's stderr over a second connection: it runs quiet, and its output is relayed once it ends.
    const how = capture === true ? (this.req.inline ? 'tee' : 'quiet') : capture === 'quiet' ? 'quiet' : 'plain';
    const takesPre = this.pre !== undefined && capture === 'quiet' && bootstrap && args.every(fitsArgFile);
    let files = takesPre ? this.pre! : this.newRun();
    if (takesPre) {
      this.pre = undefined;
      this.mark('linkedAhead');
    }
    files = setUpRun(files, args, this.desk, () => this.newRun(), (line) => this.warn(line));
    const { id, stem } = files;
    const err: Buffer[] = [];
    const mark = this.req.inline ? this.desk.runMarker(id) : undefined;
    const t0 = Date.now();
    try {
      const ran = new Promise<string>((resolve, reject) => (this.waiting = { resolve, reject, how }));
      // A quiet or plain run's rustc has its own stderr: what comes before its answer is a process's left behind.
      if (mark !== undefined) this.tee = new TeeStderr(Buffer.from(`\0${mark} `, 'latin1'), (d) => (how === 'tee' && err.push(d), this.write(2, d)));
      this.c.write(`run ${how} ${bootstrap ? 1 : 0} ${id}${mark === undefined ? '' : ` ${mark}`}\n`);
      const m = /^ran (\d{1,3}) (plain|quiet|tee)$/.exec(await ran);
      if (!m || (m[2] === 'tee') !== (how === 'tee')) throw new SplitcacheError('SPLITCACHE_EXEC_CALLER', 'the caller answered a run with something else than `ran <code> <how>`');
      this.workMs += Date.now() - t0;
      if (how === 'plain') return { code: Number(m[1]), stdout: EMPTY, stderr: EMPTY };
      const stdout = await readOutput(`${stem}.out`);
      if (how !== 'tee') err.push(await readOutput(`${stem}.err`));
      const code = Number(m[1]);
      const stderr = Buffer.concat(err);
      // Before anything of it is relayed: what was kept of a lost output is not shown.
      if (lostOutput(code, how === 'tee', stderr, dirname(stem))) throw outputLost(args, dirname(stem), this.desk);
      // A tee run carried out quiet (an earlier caller): its stderr relayed now, all at once.
      if (capture === true && how !== 'tee') this.write(2, stderr);
      if (capture === true) this.write(1, stdout);
      return { code, stdout, stderr };
    } finally {
      this.tee = undefined;
      this.answering = false;
      for (const file of how === 'plain' ? [stem] : [stem, `${stem}.out`, `${stem}.err`]) unlink(file, () => undefined);
    }
  }

  /** A new run's files, where the runs are now, named for this call's caller. */
  private newRun(): RunFiles {
    return runFiles(this.desk.nextRunId(), this.desk.runsDirNow(), this.runsDir);
  }

  /** Removes the .rlink that the run given `args` used or may have left (a -Zlink-only's last argument, a -Zno-link's output); a plain build leaves none. */
  private removeRlink(args: string[]): void {
    let rlink: string | undefined;
    if (args.includes('-Zlink-only')) rlink = args.at(-1);
    else if (args.includes('-Zno-link')) {
      try {
        rlink = linkHalfOf(args, compilerCall(this.req.argv)?.lead).rlinkPath;
      } catch {
        /* not parsed: nothing named */
      }
    }
    if (rlink?.endsWith('.rlink')) unlink(resolve(this.caller.cwd, rlink), () => undefined);
  }

  /**
   * The line SPLITCACHE_TIMING_LOG asks for, as the node client writes it; `startMs`: from the
   * caller's start to this call's start here. Resolves once it is written (or failed to be), so
   * that it is there when the caller exits, as the node client's is.
   */
  logTiming(): Promise<void> {
    const log = settingValue(this.caller.env, 'SPLITCACHE_TIMING_LOG');
    if (!log) return Promise.resolve();
    const wallMs = Date.now() - this.req.startedAt;
    const startMs = this.t0 - this.req.startedAt;
    const line = JSON.stringify({ wallMs, workMs: this.workMs, startMs, connected: startMs, ...this.marks, client: 'exec' });
    // A relative path is the caller's, as the node client takes it: not this daemon's directory, which is whatever build started it.
    return new Promise((res) => appendFile(resolve(this.caller.cwd, log), `${line}\n`, () => res()));
  }
}

/** Whether rustc reads `arg` back unchanged from an @file: a line of its own, not expanded again. */
function fitsArgFile(arg: string): boolean {
  return !arg.startsWith('@') && !/[\n\r]/.test(arg);
}

/** A run's output file, which the caller made: one that can't be read fails the call (it then builds plainly), rather than keep an empty copy. */
function readOutput(path: string): Promise<Buffer> {
  return new Promise((res, rej) =>
    readFile(path, (err, bytes) => (err ? rej(new SplitcacheError('SPLITCACHE_EXEC_RUN', `cannot read a run's output ${path}: ${err.code ?? err.message}`)) : res(bytes))),
  );
}
