/**
 * The exec port: rustc calls carried out by the daemon itself, for a caller
 * that is a shell rather than a node client. A node client costs every rustc
 * call a node start (65-80 ms of CPU here, most of a cold build's overhead);
 * bin/splitcache, run by bash, instead connects here through bash's own
 * /dev/tcp, sends its pid and arguments, and waits for an exit code. The
 * daemon reads the caller's environment and working directory from /proc,
 * opens its stdout, stderr and jobserver pipes through /proc/<pid>/fd, and
 * runs rustc as its own child on them (callFlow.ts, the steps the node
 * client takes).
 *
 * The wire (docs/ARCHITECTURE.md): the caller sends NUL-terminated fields,
 * `sc-exec/1`, the token from `exec.port`, its pid, the fd numbers of its
 * stdout and stderr, its start time ($EPOCHREALTIME), the argument count,
 * then the arguments (rustc first). It holds its end of the connection at
 * fd 3, which is how the daemon knows that the pid is the caller's
 * (procCaller.ts). The daemon answers lines: `ok` (the
 * token is right), then `fallback` (run the node client instead: nothing
 * ran), `pid N` (a process group the caller kills should the daemon go away)
 * and `exit N`.
 *
 * Loopback TCP is the one socket bash can open. Anyone on the machine can
 * connect, so nothing is done without the token, which lives in a file only
 * the store's owner can read; and a caller's pid must be the owner's and
 * hold the connection.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { ChildProcess, SpawnOptions, StdioOptions } from 'node:child_process';
import { appendFile, closeSync, openSync, readSync, rm, statSync, unlink, write } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { constants as osConstants } from 'node:os';
import { oneLine } from '@splitcache/errors';
import { compilerCall, linkHalfOf } from '@splitcache/rustc';
import { tempSuffix, writeFileAtomicSync } from '@splitcache/store';
import { carryOut, type CallSide, type RunResult } from './callFlow.js';
import type { CompileHandler } from './compileHandler.js';
import type { Logger } from './log.js';
import { openCaller, type Caller } from './procCaller.js';
import { PROTOCOL_VERSION, type CompilePlan } from './protocol.js';

export const EXEC_MAGIC = 'sc-exec/1';
/** Fields before the arguments: magic, token, pid, stdout fd, stderr fd, start time, argument count. */
const HEADER_FIELDS = 7;
const MAX_REQUEST = 16 * 1024 * 1024;
const REQUEST_TIMEOUT_MS = 10_000;
/** Where bin/splitcache holds its end of the connection (`exec 3<>/dev/tcp/…`), checked by procCaller.ts. */
const CALLER_SOCKET_FD = 3;

/** The file naming the exec port and its token (`<port> <token>`), in the store dir. */
export function execPortPath(dir: string): string {
  return join(dir, 'exec.port');
}

interface ExecRequest {
  pid: number;
  so: number;
  se: number;
  startedAt: number;
  argv: string[];
}

export class ExecServer {
  private server: Server | undefined;
  private readonly token = secretToken();
  private readonly calls = new Set<Promise<void>>();
  private portFile: string | undefined;

  constructor(
    private readonly dir: string,
    private readonly handler: CompileHandler,
    private readonly log: Logger,
    /** Counted as open connections, so the daemon doesn't idle out under a call. */
    private readonly activity: { hold(): void; release(): void },
  ) {}

  async listen(): Promise<void> {
    const server = createServer((c) => this.connection(c));
    await new Promise<void>((res, rej) => {
      server.once('error', rej);
      server.listen(0, '127.0.0.1', () => res());
    });
    this.server = server;
    const { port } = server.address() as { port: number };
    const file = execPortPath(this.dir);
    writeFileAtomicSync(join(this.dir, `.exec.port.${tempSuffix()}`), file, Buffer.from(`${port} ${this.token}\n`), 0o600);
    this.portFile = file;
  }

  /** Stops taking calls, removes exec.port, and waits for the calls running to end. */
  async close(): Promise<void> {
    if (this.portFile) await new Promise<void>((res) => rm(this.portFile!, { force: true }, () => res()));
    await new Promise<void>((res) => (this.server ? this.server.close(() => res()) : res()));
    while (this.calls.size > 0) await Promise.allSettled([...this.calls]);
  }

  private connection(c: Socket): void {
    this.activity.hold();
    let buf = Buffer.alloc(0);
    let started = false;
    // A connection that doesn't send a whole request soon is not a caller; it must not hold the daemon up.
    const timer = setTimeout(() => c.destroy(), REQUEST_TIMEOUT_MS);
    c.on('error', () => undefined);
    c.on('close', () => {
      clearTimeout(timer);
      this.activity.release();
    });
    c.on('data', (chunk) => {
      if (started) return;
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      let req: ExecRequest | undefined;
      try {
        req = this.parse(buf);
      } catch (err) {
        this.log.debug(`exec port: ${oneLine(err)}`);
        c.destroy();
        return;
      }
      if (!req) return;
      started = true;
      clearTimeout(timer);
      c.write('ok\n');
      const call = this.serve(c, req).catch((err: unknown) => this.log.warn(`exec port: ${oneLine(err)}`));
      this.calls.add(call);
      void call.finally(() => this.calls.delete(call));
    });
  }

  /** A whole request, undefined while more is to come; throws on a bad one. */
  private parse(buf: Buffer): ExecRequest | undefined {
    if (buf.length > MAX_REQUEST) throw new Error('request too large');
    const fields: string[] = [];
    let at = 0;
    for (;;) {
      const nul = buf.indexOf(0, at);
      if (nul < 0) break;
      fields.push(buf.toString('utf8', at, nul));
      at = nul + 1;
      if (fields.length === 1 && fields[0] !== EXEC_MAGIC) throw new Error('not an exec request');
      if (fields.length === 2 && !this.tokenMatches(fields[1]!)) throw new Error('wrong token');
      if (fields.length >= HEADER_FIELDS && fields.length === HEADER_FIELDS + Number(fields[HEADER_FIELDS - 1])) break;
    }
    if (fields.length < HEADER_FIELDS) return undefined;
    const [, , pid, so, se, startedAt, argc] = fields;
    const nums = [pid, so, se, argc].map((f) => (/^\d{1,9}$/.test(f!) ? Number(f) : NaN));
    if (nums.some(Number.isNaN) || nums[3]! < 1) throw new Error('malformed header');
    if (fields.length < HEADER_FIELDS + nums[3]!) return undefined;
    return { pid: nums[0]!, so: nums[1]!, se: nums[2]!, startedAt: Number(startedAt) * 1000 || Date.now(), argv: fields.slice(HEADER_FIELDS) };
  }

  /** Compared in time that doesn't depend on where the two differ. */
  private tokenMatches(given: string): boolean {
    if (given.length !== this.token.length) return false;
    let diff = 0;
    for (let i = 0; i < given.length; i++) diff |= given.charCodeAt(i) ^ this.token.charCodeAt(i);
    return diff === 0;
  }

  private async serve(c: Socket, req: ExecRequest): Promise<void> {
    let caller: Caller;
    try {
      caller = await openCaller(req.pid, req.so, req.se, { callerPort: c.remotePort ?? 0, execPort: c.localPort ?? 0, callerFd: CALLER_SOCKET_FD });
    } catch (err) {
      this.log.debug(oneLine(err));
      c.end('fallback\n');
      return;
    }
    const call = new ExecCall(c, req, caller, this.handler);
    try {
      const code = await call.carry();
      await call.flushed();
      await caller.close();
      call.logTiming();
      c.end(`exit ${code}\n`);
    } catch (err) {
      // Never left hanging: the caller, seeing no exit code, builds the call plainly. The
      // writes queued go out first: a descriptor closed under them could be reused by then.
      await call.flushed();
      await caller.close();
      c.destroy();
      throw err;
    }
  }
}

/** One call on the exec port, carried out on the caller's descriptors. */
class ExecCall {
  private writes: Promise<void> = Promise.resolve();
  private workMs = 0;
  private readonly t0 = Date.now();
  private gone = false;
  private readonly running = new Set<ChildProcess>();
  /** Milestones for SPLITCACHE_TIMING_LOG, in ms since the caller started, as the node client keeps them. */
  private readonly marks: Record<string, number> = {};

  constructor(
    private readonly c: Socket,
    private readonly req: ExecRequest,
    private readonly caller: Caller,
    private readonly handler: CompileHandler,
  ) {
    // The caller gone (cargo interrupted, or it gave up waiting for `ok`): what runs for it goes too.
    this.gone = c.destroyed;
    c.on('close', () => {
      this.gone = true;
      for (const child of this.running) killGroup(child);
    });
  }

  async carry(): Promise<number> {
    const [rustc, ...args] = this.req.argv as [string, ...string[]];
    const { env, cwd } = this.caller;
    let plan: CompilePlan;
    try {
      plan = await this.handler.compile({ op: 'compile', v: PROTOCOL_VERSION, argv: this.req.argv, cwd, env });
    } catch (err) {
      this.warn(`SPLITCACHE_DAEMON_PROTOCOL: ${oneLine(err)} (building uncached)`);
      return (await this.run(rustc, args, false, false)).code;
    }
    this.mark('planned');
    if (plan.warning) this.warn(plan.warning);
    if (plan.action === 'passthrough') return (await this.run(rustc, args, false, false)).code;
    const side: CallSide = {
      run: (runArgs, bootstrap, capture) => this.run(rustc, runArgs, bootstrap, capture),
      write: (fd, bytes) => this.write(fd, bytes),
      warn: (line) => this.warn(line),
      done: (r) => this.handler.done({ op: 'done', token: r.token, code: r.code, stdout: r.stdout.toString('base64'), stderr: r.stderr.toString('base64'), ms: r.ms }),
      linked: (token, code) => this.handler.linked({ op: 'linked', token, code }),
      removeFile: (path) => unlink(path, () => undefined),
      fallbackLink: (noLinkArgs) => {
        const half = linkHalfOf(noLinkArgs, compilerCall(this.req.argv)?.lead);
        return { args: half.linkOnlyArgs, rlinkPath: resolve(cwd, half.rlinkPath) };
      },
      mark: (name) => this.mark(name),
      debug: env.SPLITCACHE_LOG === 'debug',
    };
    try {
      return await carryOut(plan, args, side);
    } finally {
      this.handler.forget(plan.token);
    }
  }

  private mark(name: string): void {
    this.marks[name] = Math.round((Date.now() - this.req.startedAt) * 10) / 10;
  }

  /** Resolves once everything written to the caller's stdout and stderr is out. */
  flushed(): Promise<void> {
    return this.writes;
  }

  private write(fd: 1 | 2, bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    const target = fd === 1 ? this.caller.out : this.caller.err;
    // In order, off the event loop: a write blocks while cargo's pipe is full.
    this.writes = this.writes.then(() => writeAll(target, Buffer.from(bytes)));
  }

  private warn(line: string): void {
    if (this.caller.env.SPLITCACHE_LOG === 'quiet') return;
    this.write(2, Buffer.from(line.startsWith('splitcache:') ? `${line}\n` : `splitcache: ${line}\n`));
  }

  private run(rustc: string, args: string[], bootstrap: boolean, capture: boolean | 'quiet'): Promise<RunResult> {
    const { caller } = this;
    const env = bootstrap ? { ...caller.env, RUSTC_BOOTSTRAP: '1' } : caller.env;
    const stdio: StdioOptions = ['ignore', capture === false ? caller.out : 'pipe', capture === false ? caller.err : 'pipe'];
    for (const [n, fd] of caller.jobserver) {
      while (stdio.length <= n) stdio.push('ignore');
      stdio[n] = fd;
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const t0 = Date.now();
    return new Promise<RunResult>((res) => {
      if (this.gone) return res({ code: 1, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) });
      // rustc runs in a process group of its own, with the linker it starts,
      // so that a caller gone (or left alone by a daemon gone) can end both.
      const previous = process.umask(caller.umask);
      let child: ChildProcess;
      try {
        child = spawnChild(executable(rustc, caller.cwd, env.PATH), args, { cwd: caller.cwd, env, stdio, detached: true });
      } finally {
        process.umask(previous);
      }
      this.running.add(child);
      if (child.pid) this.c.write(`pid ${child.pid}\n`);
      child.stdout?.on('data', (d: Buffer) => {
        out.push(d);
        if (capture === true) this.write(1, d);
      });
      child.stderr?.on('data', (d: Buffer) => {
        err.push(d);
        if (capture === true) this.write(2, d);
      });
      let ended = false;
      const end = (code: number, error?: Error) => {
        // A child that could not start reports 'error', and may then report 'close' too.
        if (ended) return;
        ended = true;
        this.running.delete(child);
        this.workMs += Date.now() - t0;
        if (error) this.write(2, Buffer.from(`splitcache: cannot run ${rustc}: ${error.message}\n`));
        res({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err) });
      };
      child.on('error', (e) => end(127, e));
      child.on('close', (code, signal) => end(code ?? (signal ? 128 + (osConstants.signals[signal] ?? 0) : 1)));
    });
  }

  /** The line SPLITCACHE_TIMING_LOG asks for, as the node client writes it; `startMs`: from the caller's start to this call's start here. */
  logTiming(): void {
    const log = this.caller.env.SPLITCACHE_TIMING_LOG;
    if (!log) return;
    const wallMs = Date.now() - this.req.startedAt;
    const startMs = this.t0 - this.req.startedAt;
    const line = JSON.stringify({ wallMs, workMs: this.workMs, startMs, connected: startMs, ...this.marks, client: 'exec' });
    appendFile(log, `${line}\n`, () => undefined);
  }
}

/** `rustc` as the caller's PATH finds it, from the caller's directory; as given if it names a path. */
function executable(file: string, dir: string, path: string | undefined): string {
  if (file.includes('/')) return isAbsolute(file) ? file : resolve(dir, file);
  for (const entry of (path ?? '').split(delimiter)) {
    const candidate = resolve(dir, entry || '.', file);
    try {
      // One stat: a missing file is undefined, not a throw; ENOTDIR or EACCES still throw.
      if (statSync(candidate, { throwIfNoEntry: false })?.isFile()) return candidate;
    } catch {
      /* the next one */
    }
  }
  return file;
}

/**
 * 16 bytes from the kernel's random source, as hex. Read directly rather than
 * through node:crypto, which a daemon start would otherwise load for this alone.
 */
function secretToken(): string {
  const bytes = Buffer.alloc(16);
  const fd = openSync('/dev/urandom', 'r');
  try {
    if (readSync(fd, bytes, 0, 16, null) !== 16) throw new Error('short read from /dev/urandom');
  } finally {
    closeSync(fd);
  }
  return bytes.toString('hex');
}

/** node:child_process, loaded on the first call that runs rustc (as rustcIdentity.ts loads it). */
function spawnChild(file: string, args: string[], options: SpawnOptions): ChildProcess {
  return process.getBuiltinModule('node:child_process').spawn(file, args, options);
}

function killGroup(child: ChildProcess): void {
  try {
    if (child.pid) process.kill(-child.pid, 'SIGKILL');
  } catch {
    /* gone already */
  }
}

function writeAll(fd: number, bytes: Buffer): Promise<void> {
  return new Promise((res) => {
    const step = (off: number) => {
      if (off >= bytes.length) return res();
      write(fd, bytes, off, bytes.length - off, null, (err, n) => {
        // The reader gone (EPIPE): the output is dropped, as a stream would drop it.
        if (err) return res();
        step(off + n);
      });
    };
    step(0);
  });
}
