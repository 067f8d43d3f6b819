/**
 * What the daemon learns of a caller on the exec port (execServer.ts) from
 * Linux's /proc: its environment and working directory as the process has
 * them (for the call's key), and its stdout and stderr, opened anew through
 * /proc/<pid>/fd so the daemon can write a hit's output and relay a miss's.
 * The caller runs rustc itself (execCall.ts), on its own descriptors: cargo's
 * jobserver pipes, its umask and its process group are simply inherited.
 * Opened descriptors are the daemon's until `close()`: a write end of cargo's
 * pipe left open here would keep cargo waiting for the end of that call's
 * output.
 */
import { isUtf8 } from 'node:buffer';
import { close as closeCb, constants, open as openCb, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { promisify } from 'node:util';
import { SplitcacheError } from '@splitcache/errors';
import { isatty } from 'node:tty';
import { mountNamespace } from './protocol.js';
import { layoutTerminal } from './terminalArgs.js';
import { peerInode } from './tcpTable.js';
import { credsOfStatus, type CallerCreds } from './dirWritable.js';

export interface Caller {
  env: Record<string, string>;
  cwd: string;
  /** Its umask (/proc/<pid>/status, Linux 4.7 and later), for the mode of what a hit writes. */
  umask?: number;
  /** Its credentials (/proc/<pid>/status), for what it may write (a `-Z temps-dir`: dirWritable.ts). */
  creds?: CallerCreds;
  /** The caller's stdout and stderr, opened for writing. */
  out: number;
  err: number;
  /** Whether its stderr is a terminal, and the terminal its rustc lays out for, if any (terminalArgs.ts). */
  stderrTty: boolean;
  terminal?: { tty: number; session: number };
  close(): Promise<void>;
}

/**
 * Reads caller `pid`'s state and opens its descriptors `so` and `se` (its
 * stdout and stderr, duplicated where a shell's own redirections don't move
 * them). Throws SPLITCACHE_EXEC_CALLER when the caller can't be served this
 * way (another user's process, a gone one, an output that is not a pipe or
 * a terminal); it then runs the node client instead.
 */
export async function openCaller(pid: number, so: number, se: number, link: ConnectionEnds): Promise<Caller> {
  const proc = `/proc/${pid}`;
  const opened: number[] = [];
  const close = async () => {
    for (const fd of opened.splice(0)) await closeFd(fd);
  };
  try {
    // The caller's stat line, where the check read it: a read of /proc/<pid>/stat takes ~100 us here, so it is read once.
    const statLine = await checkConnected(pid, proc, link);
    // Another container with this pid namespace and network (`--pid=host --network=host`): its paths name other files here.
    if (mountNamespace(pid) !== mountNamespace('self')) throw callerError(`process ${pid} is in another mount namespace`);
    // Read synchronously, as holds() reads: /proc answers from memory, in microseconds, where each
    // step of an fs/promises read (open, stat, read, close) waited its turn in the thread pool, which
    // a build's copies and digests keep busy: 1.3-3.7 ms from the request to its caller opened,
    // and up to 16 ms for the second of a build's first calls (the fixture, warm, 2026-12-04).
    const environ = readFileSync(`${proc}/environ`);
    const cwd = readlinkSync(`${proc}/cwd`);
    const status = readFileSync(`${proc}/status`, 'latin1');
    const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
    if (uid === undefined || Number(uid) !== process.getuid?.()) throw callerError(`process ${pid} belongs to another user`);
    const env = parseEnviron(environ);
    const outputs = await Promise.allSettled([openOutput(`${proc}/fd/${so}`), openOutput(`${proc}/fd/${se}`)]);
    for (const o of outputs) if (o.status === 'fulfilled') opened.push(o.value);
    for (const o of outputs) if (o.status === 'rejected') throw o.reason;
    const [out, err] = opened as [number, number];
    const umask = /^Umask:\s+([0-7]+)/m.exec(status)?.[1];
    const terminal = layoutTerminal(statLine ?? readFileSync(`${proc}/stat`, 'latin1'), [1, 0, 2].map((fd) => charDevice(`${proc}/fd/${fd}`)));
    const creds = credsOfStatus(status);
    return { env, cwd, ...(umask === undefined ? {} : { umask: parseInt(umask, 8) }), ...(creds ? { creds } : {}), out, err, stderrTty: isatty(err), ...(terminal ? { terminal } : {}), close };
  } catch (e) {
    await close();
    throw e instanceof SplitcacheError ? e : callerError(`cannot serve process ${pid}: ${(e as Error).message}`);
  }
}

/** The device number of a character device (a descriptor's, through /proc), else undefined. */
function charDevice(path: string): number | undefined {
  try {
    const st = statSync(path);
    return st.isCharacterDevice() ? st.rdev : undefined;
  } catch {
    return undefined;
  }
}

/** The caller's end of its TCP connection to the exec port, seen from the daemon: its port, the exec port, and when it came. */
export interface ConnectionEnds {
  callerPort: number;
  execPort: number;
  /** When the daemon accepted it (performance.now()): a read of the table begun before may not list it. */
  acceptedAt: number;
  /** What the caller sent to show its pid is its own, if it did (`sc-exec/8` and later). */
  proof?: CallerProof;
}

/** The descriptor the caller holds its connection at, and its /proc/<pid>/stat line as it read it. */
export interface CallerProof {
  fd: number;
  stat: string;
}

/**
 * The pid a caller sends is believed only if it is the caller's. A caller in
 * another pid namespace (a container sharing the store and the network) names
 * a pid that is some other process here, or none; so would a caller that lies.
 * Either would otherwise have rustc run with that process's environment and
 * directory, and write to its pipes.
 *
 * A caller of this version (`sc-exec/11`, `/10`) or the one before (`/9`, `/8`) sends its own stat line, read
 * from /proc/self, and the descriptor it holds the connection at: the line
 * must name the pid it sent, and the process here must have started at the
 * same clock tick since boot (a pid number reused, or another namespace's,
 * names a process started at another time) and hold a socket at that
 * descriptor. That costs two reads of /proc.
 * It doesn't bind the pid to this very connection, as the check below does,
 * so a caller that lies about its pid, with that process's own stat line, is
 * believed. Only a process that read the token can send a call at all, and
 * only the store's owner (and root) can read it; the daemon believing such a
 * process gives it nothing it doesn't have (it can read that process's /proc
 * and open its pipes itself, and the files a call writes are its own to write).
 *
 * Earlier callers, and one whose stat line didn't come (an unreadable /proc),
 * are checked as before: the socket inode of the caller's end of this
 * connection, found in /proc/net/tcp by the two ports (tcpTable.ts), must be
 * what one of /proc/<pid>/fd names. The kernel writes that table anew for each
 * read, walking every bucket of its connection hash, 5-12 ms here; on every
 * call's critical path that was half of a hit's overhead (warm tokio builds:
 * a call's start to its request read p50 ~11 ms, against ~2 ms this way).
 */
async function checkConnected(pid: number, proc: string, link: ConnectionEnds): Promise<string | undefined> {
  const claimed = link.proof && processStart(link.proof.stat);
  if (claimed !== undefined) {
    // The caller read /proc/self: under a pid namespace without a /proc of its own, that names
    // its pid outside the namespace, not the one it sent, and the two are other processes here.
    if (claimed.pid !== String(pid)) throw callerError(`the caller's own /proc names it ${claimed.pid}, not ${pid} (a pid namespace without its own /proc?)`);
    let line: string | undefined;
    try {
      line = readFileSync(`${proc}/stat`, 'latin1');
    } catch {
      /* gone, or not ours to read */
    }
    if ((line === undefined ? undefined : processStart(line))?.tick !== claimed.tick) throw callerError(`${proc} is not the process that called (another pid namespace?)`);
    if (!fdIs(proc, link.proof!.fd, 'socket:[')) throw callerError(`${proc} holds no socket at descriptor ${link.proof!.fd}`);
    return line;
  }
  const inode = await peerInode(link.callerPort, link.execPort, link.acceptedAt);
  if (inode === undefined || !holds(proc, `socket:[${inode}]`)) throw callerError(`${proc} does not hold this connection (another pid namespace?)`);
  return undefined;
}

export interface ProcessStart {
  /** The pid, as the /proc the line was read from numbers it. */
  pid: string;
  /** When it started: clock ticks since boot. */
  tick: string;
}

/**
 * A /proc/<pid>/stat line's pid (its first field) and start time (its 22nd), or undefined if
 * the line is not whole. The fields after the command name are counted from its last `)`:
 * the name may hold anything.
 */
export function processStart(stat: string): ProcessStart | undefined {
  const end = stat.lastIndexOf(')');
  const pid = stat.slice(0, stat.indexOf(' '));
  const tick = end < 0 ? undefined : stat.slice(end + 2).split(' ')[19];
  return /^\d+$/.test(pid) && tick && /^\d+$/.test(tick) ? { pid, tick } : undefined;
}

function fdIs(proc: string, fd: number, prefix: string): boolean {
  try {
    return readlinkSync(`${proc}/fd/${fd}`).startsWith(prefix);
  } catch {
    return false;
  }
}

/**
 * Whether one of the process's descriptors is `target`, lowest first (bash's own pick is
 * the lowest free one above 9). Synchronous: /proc answers from memory, ~5 us a descriptor
 * here, where each call through the thread pool waited ~50 us.
 */
function holds(proc: string, target: string): boolean {
  let fds: number[];
  try {
    fds = readdirSync(`${proc}/fd`).map(Number).sort((a, b) => a - b);
  } catch {
    return false;
  }
  for (const fd of fds) {
    try {
      if (readlinkSync(`${proc}/fd/${fd}`) === target) return true;
    } catch {
      /* closed meanwhile */
    }
  }
  return false;
}

/**
 * stdout and stderr must be pipes or terminals: a new open of a regular file would write at its start.
 * The open goes through the thread pool: opening a pipe to write blocks while it has no reader.
 */
async function openOutput(path: string): Promise<number> {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st?.isFIFO() && !st?.isCharacterDevice()) throw callerError(`${path} is not a pipe or a terminal`);
  // A plain descriptor, not a FileHandle: written to with fs.write, and ended only by close().
  return openFd(path, constants.O_WRONLY | constants.O_NOCTTY);
}

const openFd = promisify(openCb) as (path: string, flags: number) => Promise<number>;

function closeFd(fd: number): Promise<void> {
  return new Promise<void>((res) => closeCb(fd, () => res()));
}

/**
 * /proc/<pid>/environ: NUL-terminated NAME=value pairs, as the process was started. A value
 * that is not UTF-8 is given as NOT_UTF8 and its bytes in hex, which no real value can be (it
 * holds a NUL): decoded, its bytes became U+FFFD, and a crate reading it with `env!` hit the
 * entry of a build whose value held a real U+FFFD, where rustc refuses such a value (hunting
 * helper). Its key differs now; rustc, run by the caller with its own bytes, says what it says.
 */
export function parseEnviron(bytes: Buffer): Record<string, string> {
  const env: Record<string, string> = {};
  for (let at = 0; at < bytes.length; ) {
    const nul = bytes.indexOf(0, at);
    const end = nul < 0 ? bytes.length : nul;
    const eq = bytes.indexOf(0x3d, at);
    if (eq > at && eq < end) {
      const value = bytes.subarray(eq + 1, end);
      env[bytes.toString('utf8', at, eq)] = isUtf8(value) ? value.toString('utf8') : `${NOT_UTF8}${value.toString('hex')}`;
    }
    at = end + 1;
  }
  return env;
}

/** What a value that is not UTF-8 starts with in parseEnviron's answer. */
export const NOT_UTF8 = '\0not-utf8:';

function callerError(message: string): SplitcacheError {
  return new SplitcacheError('SPLITCACHE_EXEC_CALLER', message);
}
