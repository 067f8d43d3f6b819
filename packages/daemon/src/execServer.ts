/**
 * The exec port: rustc calls carried out by the daemon with a caller that is
 * a shell rather than a node client. A node client costs every rustc call a
 * node start (65-80 ms of CPU here, most of a cold build's overhead);
 * bin/splitcache, run by bash, instead connects here through bash's own
 * /dev/tcp, sends its pid and arguments, and waits for an exit code. The
 * daemon reads the caller's environment and working directory from /proc,
 * opens its stdout and stderr through /proc/<pid>/fd (procCaller.ts), and
 * takes the steps the node client takes (callFlow.ts), with the caller
 * running each rustc they need (execCall.ts).
 *
 * The wire (docs/ARCHITECTURE.md): the caller sends NUL-terminated fields,
 * `sc-exec/11` (or `/10`: a caller that can't start rustc ahead, execCall.ts;
 * `/9` and `/8` are the same from the version before, which took a tee run's
 * stderr over a second connection, `/7` and `/6` from one that sent no proof,
 * `/5` and `/4` from an earlier one, which don't watch a tee run, and `/3`
 * and `/2` from one before, taking no `alive`), the token from `exec.port`,
 * its pid, the fd numbers of its stdout and stderr, its start time
 * ($EPOCHREALTIME), the fd it holds its end of the connection at (above 9:
 * cargo's jobserver may be at 3) and its own /proc/<pid>/stat line, by which
 * the daemon knows that the pid is the caller's (procCaller.ts), the argument
 * count, then the arguments (rustc first). The daemon answers lines: `ok` (the token is right), then `fallback` (run the node
 * client instead: nothing ran), `plain` (exec rustc as called, uncached),
 * `pre …` and `run …` (execCall.ts; the caller answers a run with `ran …`)
 * and `exit N`. Every ALIVE_MS that the caller waits on the daemon rather than
 * on a rustc it runs, it gets `alive` (protocol.ts): a caller that hears
 * nothing for SILENCE_MS stops the daemon and builds uncached. A tee run's
 * stderr comes on this same connection, and each answer follows a NUL and its
 * run's marker: every other byte is stderr (execCall.ts). A second connection
 * for it, as `/9` and earlier made, did not reach the daemon in time in two CI
 * runs under load, for a cause not found, and each such call built uncached;
 * one connection has nothing to wait for.
 * While a tee run goes on, its caller (`/11`, `/10`) gets an empty
 * line every ALIVE_MS instead: its rustc may be blocked writing to this
 * daemon, and the caller's watchdog, which reads those, stops a daemon silent
 * for SILENCE_MS (execCall.ts).
 *
 * Loopback TCP is the one socket bash can open. Anyone on the machine can
 * connect, so nothing is done without the token, which lives in a file only
 * the store's owner can read; and a caller's pid must be the owner's and
 * hold the connection.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { oneLine } from '@splitcache/errors';
import { tempSuffix, writeFileAtomicSync } from '@splitcache/store';
import type { CompileHandler } from './compileHandler.js';
import { CallerGone, ExecCall, type ExecRequest, type RunDesk } from './execCall.js';
import type { Logger } from './log.js';
import { ALIVE_MS } from './protocol.js';
import { openCaller, type Caller } from './procCaller.js';
import { isCallersStore } from './callerStore.js';
import { RunsHome } from './runsHome.js';
import { OwnedPath } from './ownedPath.js';
import { fairTimeout } from './fairTimeout.js';

/**
 * What a caller can take, by the magic it opens with: `pre` (bash 5.1 and
 * later, which can wait for a process substitution by its pid), `alive`
 * lines (a caller that gives up on a daemon silent for SILENCE_MS, protocol.ts),
 * and empty lines during a tee run, read by a watchdog beside its rustc
 * (`/6` and later watch one; only `/11` and `/10` are given one). `/8` and later
 * also send the descriptor they hold the connection at and their own
 * /proc/<pid>/stat line, by which the daemon knows their pid is theirs
 * (`proves`, procCaller.ts). `/11` and `/10` send a tee run's stderr inline
 * (`inline`); an earlier caller's tee run is run quiet, its stderr relayed
 * once it ends. /2 to /9 are the callers of earlier versions: an
 * empty line ended the calls of /2 to /5.
 */
const CALLERS: Record<string, { prestarts: boolean; alive: boolean; proves: boolean; inline: boolean }> = {
  'sc-exec/11': { prestarts: true, alive: true, proves: true, inline: true },
  'sc-exec/10': { prestarts: false, alive: true, proves: true, inline: true },
  'sc-exec/9': { prestarts: true, alive: true, proves: true, inline: false },
  'sc-exec/8': { prestarts: false, alive: true, proves: true, inline: false },
  'sc-exec/7': { prestarts: true, alive: true, proves: false, inline: false },
  'sc-exec/6': { prestarts: false, alive: true, proves: false, inline: false },
  'sc-exec/5': { prestarts: true, alive: true, proves: false, inline: false },
  'sc-exec/4': { prestarts: false, alive: true, proves: false, inline: false },
  'sc-exec/3': { prestarts: true, alive: false, proves: false, inline: false },
  'sc-exec/2': { prestarts: false, alive: false, proves: false, inline: false },
};
/**
 * Fields before the arguments: magic, token, pid, stdout fd, stderr fd, start time, then, from a
 * caller that `proves`, its connection's fd and its stat line, and last the argument count.
 */
const headerFields = (magic: string) => (CALLERS[magic]?.proves ? 9 : 7);
const MAX_REQUEST = 16 * 1024 * 1024;
const MAX_MAGIC = Math.max(...Object.keys(CALLERS).map((m) => m.length));
/**
 * How long a connection may take to send its opening: one that sends none is not a caller, and
 * must not keep the daemon from its idle exit for long. Generous, since a caller sends its opening
 * as it connects, and on a loaded runner that caller (bash between two builtins) may itself get no
 * CPU for seconds; each lost opening is a call built uncached.
 */
const REQUEST_TIMEOUT_MS = 60_000;

/** The file naming the exec port, its token and the runs' directory (`<port> <token> <dir>`), in the store dir. */
export function execPortPath(dir: string): string {
  return join(dir, 'exec.port');
}

export class ExecServer {
  private server: Server | undefined;
  private readonly token = secretHex();
  /** Begins each tee run's marker (execCall.ts): no rustc writes it by chance. */
  private readonly markerBase = secretHex();
  private readonly calls = new Set<Promise<void>>();
  /** exec.port as this daemon last wrote it: removed on close only while it is still this one (ownedPath.ts). */
  private portFile: OwnedPath | undefined;
  private runCount = 0;
  private readonly desk: RunDesk;
  private runs: RunsHome | undefined;
  private port = 0;
  private closing = false;

  constructor(
    private readonly dir: string,
    private readonly handler: CompileHandler,
    private readonly log: Logger,
    /** Counted as open connections, so the daemon doesn't idle out under a call. */
    private readonly activity: { hold(): void; release(): void },
    private readonly requestTimeoutMs = REQUEST_TIMEOUT_MS,
  ) {
    this.desk = {
      runsDirNow: () => this.runs!.dir,
      runsDirFor: (startedAt) => this.runs!.dirFor(startedAt),
      runsDirFull: (dir) => this.runs!.full(dir),
      nextRunId: () => String(++this.runCount),
      runMarker: (id) => `${this.markerBase}.${id}`,
    };
  }

  async listen(): Promise<void> {
    this.runs = new RunsHome(this.dir, (runs) => this.writePortFile(runs));
    const server = createServer((c) => this.connection(c));
    await new Promise<void>((res, rej) => {
      server.once('error', rej);
      server.listen(0, '127.0.0.1', () => res());
    });
    this.server = server;
    this.port = (server.address() as { port: number }).port;
    this.writePortFile(this.runs.dir);
  }

  /** Writes exec.port, naming `runsDir` as the runs' directory; callers read it anew at every call. */
  private writePortFile(runsDir: string): void {
    // A run that finds /dev/shm full while the daemon closes must not write exec.port again once it is removed.
    if (this.closing) throw new Error('closing');
    const file = execPortPath(this.dir);
    writeFileAtomicSync(join(this.dir, `.exec.port.${tempSuffix()}`), file, Buffer.from(`${this.port} ${this.token} ${runsDir}\n`), 0o600);
    this.portFile = new OwnedPath(file);
  }

  /**
   * Stops taking calls (one that connects meanwhile is closed at once, and goes on without this
   * daemon), removes exec.port, waits for the calls running to end, then stops listening.
   */
  async close(): Promise<void> {
    this.closing = true;
    this.portFile?.removeIfOwn();
    while (this.calls.size > 0) await Promise.allSettled([...this.calls]);
    await new Promise<void>((res) => (this.server ? this.server.close(() => res()) : res()));
    this.runs?.close();
  }

  private connection(c: Socket): void {
    const acceptedAt = performance.now();
    this.activity.hold();
    let buf = Buffer.alloc(0);
    let started = false;
    // A connection that doesn't send a whole request soon is not a caller; it must not hold the daemon up.
    // Counted in the daemon's own running: a loop held up past it dropped a connection whose
    // opening was waiting in the kernel (fairTimeout.ts).
    const timer = fairTimeout(() => c.destroy(), this.requestTimeoutMs);
    c.on('error', () => undefined);
    c.on('close', () => {
      timer.clear();
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
      timer.clear();
      // Closing: a new call is refused, as a closed port refuses it (the caller goes on without this daemon).
      if (this.closing) return void c.destroy();
      c.write('ok\n');
      const call = this.serve(c, req, acceptedAt).catch((err: unknown) => this.log.warn(`exec port: ${oneLine(err)}`));
      this.calls.add(call);
      void call.finally(() => this.calls.delete(call));
    });
  }

  /** A whole call request, undefined while more is to come; throws on a bad one. */
  private parse(buf: Buffer): ExecRequest | undefined {
    if (buf.length > MAX_REQUEST) throw new Error('request too large');
    const fields: string[] = [];
    let at = 0;
    for (;;) {
      const nul = buf.indexOf(0, at);
      if (nul < 0) break;
      fields.push(buf.toString('utf8', at, nul));
      at = nul + 1;
      if (fields.length === 1 && !isCallMagic(fields[0]!)) throw new Error('not an exec request');
      if (fields.length === 2 && !this.tokenMatches(fields[1]!)) throw new Error('wrong token');
      const header = headerFields(fields[0]!);
      if (fields.length >= header && fields.length === header + Number(fields[header - 1])) break;
    }
    // Until the token is in, no more is kept than a magic or the token takes: a connection without it
    // held up to MAX_REQUEST, read again at every chunk (16 MB: 2-13 s of the daemon's CPU here).
    if (fields.length < 2 && buf.length - at > (fields.length === 0 ? MAX_MAGIC : this.token.length)) throw new Error(fields.length === 0 ? 'not an exec request' : 'wrong token');
    if (!isCallMagic(fields[0] ?? '')) return undefined;
    const magic = fields[0]!;
    const header = headerFields(magic);
    if (fields.length < header) return undefined;
    const [, , pid, so, se, startedAt] = fields;
    const { proves, ...takes } = CALLERS[magic]!;
    const nums = [pid, so, se, fields[header - 1], ...(proves ? [fields[6]] : [])].map((f) => (/^\d{1,9}$/.test(f!) ? Number(f) : NaN));
    if (nums.some(Number.isNaN) || nums[3]! < 1) throw new Error('malformed header');
    if (fields.length < header + nums[3]!) return undefined;
    const proof = proves ? { fd: nums[4]!, stat: fields[7]! } : undefined;
    const req: ExecRequest = { pid: nums[0]!, so: nums[1]!, se: nums[2]!, startedAt: Number(startedAt) * 1000 || Date.now(), argv: fields.slice(header), proof, ...takes };
    return req;
  }

  /** Compared in time that doesn't depend on where the two differ. */
  private tokenMatches(given: string): boolean {
    if (given.length !== this.token.length) return false;
    let diff = 0;
    for (let i = 0; i < given.length; i++) diff |= given.charCodeAt(i) ^ this.token.charCodeAt(i);
    return diff === 0;
  }

  private async serve(c: Socket, req: ExecRequest, acceptedAt: number): Promise<void> {
    // Whenever the caller waits on this daemon (not on a rustc it runs), it hears that the daemon is alive:
    // from the start, since opening the caller waits on the thread pool, which a burst of calls can fill.
    // During a tee run, whose rustc blocks writing its stderr here while this daemon is hung, the caller's
    // watchdog hears an empty line instead (one byte: killed between two reads, it takes no part of a
    // line meant for the caller, which skips those it leaves).
    let call: ExecCall | undefined;
    const beat = () => {
      if (c.destroyed) return;
      if (!call?.running) c.write('alive\n');
      else if (call.teeing) c.write('\n');
    };
    const alive = req.alive ? setInterval(beat, ALIVE_MS) : undefined;
    const open = this.handler.openCall();
    try {
      await this.carry(c, req, acceptedAt, (started) => (call = started), open);
    } finally {
      clearInterval(alive);
      open.close();
    }
  }

  private async carry(c: Socket, req: ExecRequest, acceptedAt: number, started: (call: ExecCall) => void, open: { close(): void }): Promise<void> {
    let caller: Caller;
    try {
      caller = await openCaller(req.pid, req.so, req.se, { callerPort: c.remotePort ?? 0, execPort: c.localPort ?? 0, acceptedAt, proof: req.proof });
    } catch (err) {
      this.log.debug(oneLine(err));
      c.end('fallback\n');
      return;
    }
    const store = await isCallersStore(this.dir, caller.env);
    if (!store.ok) {
      this.log.debug(`exec port: process ${req.pid} uses the store ${store.callerDir}, not this daemon's (a copy of it?)`);
      await caller.close();
      c.end('fallback\n');
      return;
    }
    const call = new ExecCall(c, req, caller, this.handler, this.desk);
    started(call);
    try {
      const code = await call.carry();
      await call.end();
      await call.logTiming();
      // The build's last call (no other call under way) ends once the stores in flight are in: its
      // container may end with it (compileHandler.settleIfLast). The caller hears `alive` meanwhile.
      open.close();
      await this.handler.settleIfLast();
      c.end(code === 'plain' ? 'plain\n' : `exit ${code}\n`);
    } catch (err) {
      // Never left hanging: the caller, seeing no exit code, builds the call plainly. The
      // writes queued go out first: a descriptor closed under them could be reused by then.
      await call.end();
      c.destroy();
      if (err instanceof CallerGone) return this.log.debug(`exec port: ${err.message} (pid ${req.pid})`);
      throw err;
    }
  }
}

function isCallMagic(field: string): boolean {
  return Object.hasOwn(CALLERS, field);
}

/**
 * 16 bytes from the kernel's random source, as hex. Read directly rather than
 * through node:crypto, which a daemon start would otherwise load for this alone.
 */
function secretHex(): string {
  const bytes = Buffer.alloc(16);
  const fd = openSync('/dev/urandom', 'r');
  try {
    if (readSync(fd, bytes, 0, 16, null) !== 16) throw new Error('short read from /dev/urandom');
  } finally {
    closeSync(fd);
  }
  return bytes.toString('hex');
}
