/**
 * The client ↔ daemon protocol: JSON frames over a unix socket, each a 4-byte
 * big-endian length then the UTF-8 text of one JSON object. Bytes (a call's
 * stdout and stderr) travel as base64 strings; inside the daemon, and in
 * callFlow on either side, they are bytes (toWire and fromWire convert at the
 * socket: a crate's stderr can be tens of MB of warnings, and each base64 copy
 * of it was another string of a third more).
 *
 * JSON rather than MessagePack because the client is a new node process for
 * every rustc call, so any codec written in JS runs cold, in the interpreter:
 * packing a cargo compile request (26 args, 67 env vars) took 2.0 ms with a
 * small msgpack codec and 0.1 ms with the native JSON.stringify, measured here
 * in fresh processes. This module is bundled into the client, so it imports
 * only node builtins.
 */
import { readlinkSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { storeRealPath, tempFileFor } from './storeSocket.js';
import { userTempDir } from './userTempDir.js';
import type { LinkAbout } from './callFlow.js';

export { othersSocket, refuseOthersSocket } from './socketOwner.js';
export { legacySockets, socketPath, socketShown, tempFileFor } from './storeSocket.js';

/**
 * Sent with every compile request; a daemon speaking another version passes the call through.
 * 4: a `done` reply may say `rerun` instead of `link` (a crate that read RUSTC_BOOTSTRAP,
 * bootstrapRead.ts); a client of 3 ignored it and ended without linking, so without a binary.
 */
export const PROTOCOL_VERSION = 4;
export const MAX_FRAME = 256 * 1024 * 1024;

export interface LinkStep {
  /** Arguments for `rustc -Zlink-only`, run with RUSTC_BOOTSTRAP=1. */
  args: string[];
  /** The .rlink fed to the link; the client deletes it afterwards (a plain build leaves none). */
  rlinkPath: string;
  /** The objects the .rlink names under the call's own names (privateObjects.ts): the client removes them if the link fails. */
  objects?: string[];
  /**
   * The call's own arguments (its driver's lead first) as a plain rustc in its terminal takes
   * them (terminalArgs.ts: colours, width), where they differ: the plain rustc of a failed link
   * runs with them, its output captured, so its diagnostics are the bytes the half showed
   * (notShownYet.ts). Absent: the call's own.
   */
  plainArgs?: string[];
}

export type Request =
  /** `mnt`: the client's mount namespace (mountNamespace()), when it knows it. `stderrTty`: its stderr is a terminal; `terminal`: the terminal its rustc lays out for (terminalArgs.ts, layoutTerminal; both absent from older clients). */
  | { op: 'compile'; v: number; argv: string[]; cwd: string; env: Record<string, string>; mnt?: string; /** the caller's umask, for the mode of what a hit writes (absent: 0644) */ umask?: number; /** the caller's uid, gid and groups, for what it may write (dirWritable.ts; absent: the daemon's own) */ creds?: { uid: number; gid: number; groups: number[] }; stderrTty?: boolean; terminal?: { tty: number; session: number } }
  /** stdout and stderr: the compile's output, base64 (DoneReport is the daemon's form). */
  | { op: 'done'; token: string; code: number; stdout: string; stderr: string; ms: number }
  /**
   * Sent when the link step of a hit failed (the entry is evicted), and once the link step of a
   * miss has ended: the reply waits, if no other call is under way, for the stores in flight.
   * A daemon of 4 before that took a miss's `linked` as that of a hit already ended: no wait.
   * `plain`: after a failed link step, the exit code of the plain rustc the call fell back to
   * (absent from older clients): a plain rustc that fails too makes it the crate's own error.
   */
  | ({ op: 'linked'; token: string; code: number; plain?: number } & LinkAbout)
  /** `env`: as for `ping`: the settings of this daemon that differ from the asking shell's come back as `stale`. */
  | { op: 'stats'; env?: NodeJS.ProcessEnv }
  | { op: 'zero-stats' }
  /** `parts`: the events may come in `{ eventsPart }` frames before the reply's `events` (AUDIT_PART a frame). */
  | { op: 'audit'; since?: number; session?: string; crate?: string; parts?: boolean }
  | { op: 'explain'; crate: string; session?: string; crateType?: string }
  | { op: 'gc'; maxBytes?: number; olderThanMs?: number; /** `splitcache clear`: every entry, and the marks of evicted ones too */ clear?: boolean }
  | { op: 'verify' }
  /** `env`: the asking shell's, to be told which daemon settings differ from it (`stale`). */
  | { op: 'ping'; env?: NodeJS.ProcessEnv }
  | { op: 'stop' };

/** A compile's report as the daemon takes it: Request's `done` with its output as bytes. */
export type DoneReport = Omit<Extract<Request, { op: 'done' }>, 'stdout' | 'stderr'> & { stdout: Uint8Array; stderr: Uint8Array };

/** The daemon's plan for a call. */
export type CompilePlan =
  | { action: 'passthrough'; reason: string; warning?: string }
  /** stdout and stderr: the output to replay. */
  | { action: 'hit'; token: string; stdout: Uint8Array; stderr: Uint8Array; code: number; link?: LinkStep; warning?: string }
  | { action: 'run'; token: string; args: string[]; bootstrap: boolean; warning?: string };

/** A plan on the socket: a hit's output as base64. */
export type WirePlan = Exclude<CompilePlan, { action: 'hit' }> | (Omit<Extract<CompilePlan, { action: 'hit' }>, 'stdout' | 'stderr'> & { stdout: string; stderr: string });

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Bytes from the socket's base64; anything but a string is none. */
function fromBase64(s: unknown): Buffer {
  return typeof s === 'string' ? Buffer.from(s, 'base64') : Buffer.alloc(0);
}

/** A plan as the socket carries it. */
export function planToWire(plan: CompilePlan): WirePlan {
  return plan.action === 'hit' ? { ...plan, stdout: base64(plan.stdout), stderr: base64(plan.stderr) } : plan;
}

/** A plan read off the socket; a hit's output that is not a string is taken as none. */
export function planFromWire(plan: WirePlan): CompilePlan {
  if (plan.action !== 'hit') return plan;
  return { ...plan, stdout: fromBase64(plan.stdout), stderr: fromBase64(plan.stderr) };
}

/** A `done` request as the socket carries it. */
export function doneToWire(r: DoneReport): Extract<Request, { op: 'done' }> {
  return { ...r, stdout: base64(r.stdout), stderr: base64(r.stderr) };
}

/** A `done` request read off the socket. */
export function doneFromWire(r: Extract<Request, { op: 'done' }>): DoneReport {
  return { ...r, stdout: fromBase64(r.stdout), stderr: fromBase64(r.stderr) };
}

/**
 * A daemon that owes a reply sends an AliveFrame every ALIVE_MS until it
 * replies (the exec port sends `alive` lines the same way), so a reply may
 * take as long as it needs (a remote download, a gc). A client that hears
 * nothing at all for SILENCE_MS takes the daemon for hung (stopped, or its
 * event loop blocked), stops it, and builds uncached
 * (SPLITCACHE_DAEMON_UNRESPONSIVE); the next call starts another.
 * bin/splitcache's watchdog beside a tee run waits for each line 2 s, twice
 * ALIVE_MS, and gives up after five such waits: a wait of ALIVE_MS itself
 * fell in step with the lines, and lost them (cli/test/hungDaemon.test.ts
 * checks these figures against the script).
 */
export const ALIVE_MS = 1000;
export const SILENCE_MS = 10_000;
/**
 * The last part of SILENCE_MS, counted apart: once the caller's clock says
 * SILENCE_MS - GRACE_MS have passed with nothing heard, the daemon still gets
 * GRACE_MS to be heard from. A machine paused (a VM's host busy, a laptop
 * asleep) wakes with every caller's timer due at once and the daemon not yet
 * run again to say `alive`; without the grace, each caller took it for hung.
 */
export const GRACE_MS = 2_000;
export interface AliveFrame {
  alive: 1;
}

/** Sent before the reply of a long request (gc, verify); the client shows it as progress. */
export interface ProgressFrame {
  progress: { done: number; total: number; phase: string };
}

export interface DoneReply {
  link?: LinkStep;
  /**
   * Instead of the link step: the compile saw something a plain one doesn't (RUSTC_BOOTSTRAP,
   * which its -Z flags need, read by the crate), so its outputs are dropped (the .rlink removed)
   * and the call runs again as it was given, uncached (in its terminal's form: LinkStep.plainArgs).
   */
  rerun?: { rlinkPath: string; plainArgs?: string[] };
  /** A cache fault while storing, to show the user once (the build goes on). */
  warning?: string;
}

/**
 * Audit events a frame carries when the client asked for parts: a store's audit log
 * (90 days of a busy CI server's calls, a million lines and more) would not fit in one
 * frame, and the daemon would hold all of it at once to build one.
 */
export const AUDIT_PART = 10_000;

/** One frame: the length, then the JSON text. */
export function encodeFrame(value: unknown): Buffer {
  const text = JSON.stringify(value);
  const len = Buffer.byteLength(text);
  const frame = Buffer.allocUnsafe(4 + len);
  frame.writeUInt32BE(len, 0);
  frame.write(text, 4, len, 'utf8');
  return frame;
}

const OPEN_BRACE = 0x7b;

/** Accumulates socket data and yields whole decoded frames. */
export class FrameReader {
  /** What came and is not yet a whole frame, kept as it came: joined once a frame is whole. */
  private chunks: Buffer[] = [];
  private size = 0;

  /**
   * Throws SPLITCACHE_DAEMON_PROTOCOL for an oversized frame, or one that is
   * not a JSON object (the MessagePack of a splitcache before protocol 2).
   * A frame that comes in many chunks is copied once: joined at every chunk,
   * the `done` of a miss with 90 MB of stderr (1,900 chunks of 64 KB) copied
   * over 100 GB, and its daemon, busy for a minute, was killed as hung (a
   * hunting helper's repro).
   */
  push(chunk: Buffer): unknown[] {
    this.chunks.push(chunk);
    this.size += chunk.length;
    const out: unknown[] = [];
    while (this.size >= 4) {
      const len = (this.chunks[0]!.length >= 4 ? this.chunks[0]! : this.joined()).readUInt32BE(0);
      if (len > MAX_FRAME) throw protocolError(`frame of ${len} bytes exceeds the limit`);
      if (this.size < 4 + len) break;
      const buf = this.joined();
      if (len === 0 || buf[4] !== OPEN_BRACE) throw protocolError('frame is not a JSON object (a splitcache of another version on this store?)');
      try {
        out.push(JSON.parse(buf.toString('utf8', 4, 4 + len)));
      } catch (err) {
        throw protocolError(`undecodable frame: ${(err as Error).message}`);
      }
      const rest = buf.subarray(4 + len);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.size = rest.length;
    }
    return out;
  }

  /** The chunks as one buffer (kept as the only one). */
  private joined(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.size)];
    return this.chunks[0]!;
  }
}

function protocolError(message: string): Error {
  return Object.assign(new Error(message), { code: 'SPLITCACHE_DAEMON_PROTOCOL' });
}

/**
 * Whether a per-call switch (SPLITCACHE_DISABLE, SPLITCACHE_RECACHE) is on: set to anything but
 * `0`, `false`, `no` or `off` (any case), as ccache reads CCACHE_DISABLE (set means on). Only
 * `1` was before, and `SPLITCACHE_DISABLE=true` cached the build with no word. bin/splitcache
 * reads SPLITCACHE_DISABLE by the same rule.
 */
export function switchedOn(value: string | undefined): boolean {
  return value !== undefined && value.trim() !== '' && !/^(0|false|no|off)$/i.test(value);
}

/**
 * A SPLITCACHE_* setting's value, undefined when unset, empty or only blanks: docs/CONFIG.md has
 * those the same. Read as given, `SPLITCACHE_PRODUCER="  "` was recorded on every entry as the
 * producer, and a blank `SPLITCACHE_SESSION` or `SPLITCACHE_TIMING_LOG` named a session or a file.
 */
export function settingValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v;
}

/**
 * The user's home directory: HOME, else the password database's entry for this uid. Undefined
 * when neither names one: a uid with no entry (`docker run --user 1234`, a Kubernetes
 * `runAsUser`) and HOME unset (`env -i`, a service manager), where node's os.homedir() throws.
 */
export function homeDir(env: NodeJS.ProcessEnv): string | undefined {
  if (env.HOME) return env.HOME;
  try {
    return homedir() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The mount namespace of process `pid` (`mnt:[4026531841]`), undefined without /proc. A store dir
 * can be shared by processes that see different files at the same paths: containers given one
 * cache volume (a CI runner's `/cache`, `docker run -v ~/.cache/splitcache:…`). A call's paths
 * (its directory, sources, out-dir, rustc) mean something only in its own mount namespace, so
 * the daemon serves callers of its own (server.ts, procCaller.ts).
 */
export function mountNamespace(pid: number | 'self'): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/mnt`);
  } catch {
    return undefined;
  }
}

/**
 * The store directory: SPLITCACHE_DIR, else $XDG_CACHE_HOME/splitcache, else ~/.cache/splitcache.
 * Throws SPLITCACHE_DAEMON_UNREACHABLE when none of them names one (homeDir() above): the call
 * then builds uncached, saying what to set.
 */
export function storeDir(env: NodeJS.ProcessEnv): string {
  // Absolute paths only. cargo runs rustc in each crate's own directory (a registry
  // crate's, a workspace member's), so a relative SPLITCACHE_DIR would make a store,
  // and a daemon, in every one of them; the XDG spec has relative values ignored.
  // readConfig names a relative SPLITCACHE_DIR as a problem.
  const dir = settingValue(env, 'SPLITCACHE_DIR');
  if (dir && isAbsolute(dir)) return dir;
  if (env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME)) return join(env.XDG_CACHE_HOME, 'splitcache');
  const home = homeDir(env);
  if (home !== undefined) return join(home, '.cache', 'splitcache');
  throw Object.assign(
    new Error(`no store dir: HOME is unset and uid ${process.getuid?.() ?? '?'} has no home directory in the password database; set SPLITCACHE_DIR (or HOME, or XDG_CACHE_HOME) to an absolute path`),
    { code: 'SPLITCACHE_DAEMON_UNREACHABLE' },
  );
}

/**
 * Where a daemon that could not start says why, for the clients waiting on
 * it: first the temp dir, since the store's own disk may be the reason it
 * failed; then the store dir, for a temp dir that can't be written (a TMPDIR
 * that doesn't exist, where a deep store's socket can't be made either, and
 * every call would otherwise wait out the start timeout).
 */
export function startFailedPaths(dir: string): [string, ...string[]] {
  const inStore = join(dir, 'daemon.start-failed');
  try {
    // By the store's real path, as its socket: every spelling of it reads the note.
    return [tempFileFor(storeRealPath(dir), 'start-failed'), inStore];
  } catch {
    return [inStore]; // the temp dir's splitcache-<uid> is not this user's: the store dir only
  }
}

/**
 * The file where the calls of one `splitcache cargo` build that built uncached for
 * a fault (no daemon to be reached, one lost mid-call, no node) are noted, a line
 * with its code each, for its summary line: the daemon never heard of them, so the
 * audit log has none, and a build of which six crates were compiled uncached read
 * `8 hits (100 %), 0 misses`. `splitcache cargo` makes it (in this user's own temp
 * dir) and names it to its calls in SPLITCACHE_UNCACHED_NOTES; a call appends to
 * it only if it is there (bin/splitcache's sc_note_uncached does the same), so a
 * build run otherwise notes nothing, and two builds of one session count their own.
 */
export function newUncachedNotes(): string {
  return join(userTempDir(), `uncached.${process.pid}.${Date.now().toString(36)}`);
}

/**
 * Leaves a failed start's reason at the first of `startFailedPaths(dir)` that
 * can be written, whole: written to a temp name and renamed, because waiting
 * clients poll for the note and read it the moment it exists (written in
 * place, one read it empty, and printed an empty reason). Throws what the
 * file system throws if neither can be written.
 *
 * `sign`, from a daemon that failed: the store dir's note is left too where the
 * temp dir's took the reason. It is bin/splitcache's sign, found by its name
 * alone (the temp dir's is named by a digest of the store's path), to start no
 * daemon itself while a note of this user's is there; the node client, which
 * judges the note's age, starts one once it is 10 s old. A daemon that could
 * not open the store removes the spawn lock, and each compiling call of the
 * build started one more that failed again: 47 in a 38-crate build. Where the
 * store's disk has no room for the reason, the note is left empty: no reason to
 * the node client, which reads the temp dir's first. None from a client (root
 * in another user's store, a daemon.log it can't write: bin/splitcache starts
 * no daemon there anyway), which writes nothing in the store it need not.
 */
export function writeStartFailed(dir: string, why: string, sign = false): void {
  let failed: unknown;
  let left = false;
  for (const note of startFailedPaths(dir)) {
    if (left && !sign) return;
    try {
      writeWhole(note, `${why}\n`);
      left = true;
    } catch (err) {
      failed ??= err;
      if (!left) continue;
      try {
        writeWhole(note, '');
      } catch {
        /* bin/splitcache starts a daemon on each call, as before */
      }
    }
  }
  if (!left) throw failed;
}

/** Writes `text` to `file` through a temp name, so a reader finds it whole or not at all. */
function writeWhole(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

// The daemon's process: its pid in daemon.pid, its install, and whether it may speak TLS.
export { installOf, installOfProcess, isDaemonProcess, runningDaemonPid, speaksTls } from './daemonProcess.js';
