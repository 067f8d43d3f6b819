/**
 * What the daemon learns of a caller on the exec port (execServer.ts) from
 * Linux's /proc: its environment, working directory and umask as the process
 * has them, and its stdout, stderr and cargo jobserver pipes, opened anew
 * through /proc/<pid>/fd so rustc can be given them. Opened descriptors are
 * the daemon's until `close()`: a write end of cargo's pipe left open here
 * would keep cargo waiting for the end of that call's output.
 */
import { close as closeCb, constants, open as openCb, type Stats } from 'node:fs';
import { readFile, readlink, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { SplitcacheError } from '@splitcache/errors';

export interface Caller {
  env: Record<string, string>;
  cwd: string;
  umask: number;
  /** The caller's stdout and stderr, opened for writing. */
  out: number;
  err: number;
  /** cargo's jobserver pipe ends, at the numbers rustc is told (CARGO_MAKEFLAGS): fd number in rustc → fd here. */
  jobserver: Map<number, number>;
  close(): Promise<void>;
}

const JOBSERVER = /--jobserver-(?:auth|fds)=(\d+),(\d+)/;

/**
 * Reads caller `pid`'s state and opens its descriptors `so` and `se` (its
 * stdout and stderr, duplicated where a shell's own redirections don't move
 * them). Throws SPLITCACHE_EXEC_CALLER when the caller can't be served this
 * way (another user's process, a gone one, an output that is not a pipe or
 * a terminal); it then runs the node client instead.
 */
export async function openCaller(pid: number, so: number, se: number): Promise<Caller> {
  const proc = `/proc/${pid}`;
  const opened: number[] = [];
  const close = async () => {
    for (const fd of opened.splice(0)) await closeFd(fd);
  };
  try {
    const [environ, cwd, status] = await Promise.all([readFile(`${proc}/environ`), readlink(`${proc}/cwd`), readFile(`${proc}/status`, 'latin1')]);
    const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
    if (uid === undefined || Number(uid) !== process.getuid?.()) throw callerError(`process ${pid} belongs to another user`);
    const umask = parseInt(/^Umask:\s+([0-7]+)/m.exec(status)?.[1] ?? '022', 8);
    const env = parseEnviron(environ);
    const out = await openOutput(`${proc}/fd/${so}`, opened);
    const err = await openOutput(`${proc}/fd/${se}`, opened);
    const jobserver = new Map<number, number>();
    const m = JOBSERVER.exec(env.CARGO_MAKEFLAGS ?? env.MAKEFLAGS ?? env.MFLAGS ?? '');
    if (m) {
      // Ends the caller doesn't have open are left out, as the node client leaves them out.
      for (const [n, flags] of [[Number(m[1]), constants.O_RDONLY], [Number(m[2]), constants.O_WRONLY]] as const) {
        if (n <= 2 || n > 1024 || jobserver.has(n)) continue;
        const fd = await openIf(`${proc}/fd/${n}`, flags, (st) => st.isFIFO(), opened);
        if (fd !== undefined) jobserver.set(n, fd);
      }
    }
    return { env, cwd, umask, out, err, jobserver, close };
  } catch (e) {
    await close();
    throw e instanceof SplitcacheError ? e : callerError(`cannot serve process ${pid}: ${(e as Error).message}`);
  }
}

/** stdout and stderr must be pipes or terminals: a new open of a regular file would write at its start. */
async function openOutput(path: string, opened: number[]): Promise<number> {
  const fd = await openIf(path, constants.O_WRONLY | constants.O_NOCTTY, (st) => st.isFIFO() || st.isCharacterDevice(), opened);
  if (fd === undefined) throw callerError(`${path} is not a pipe or a terminal`);
  return fd;
}

async function openIf(path: string, flags: number, ok: (st: Stats) => boolean, opened: number[]): Promise<number | undefined> {
  let st: Stats;
  try {
    st = await stat(path);
  } catch {
    return undefined;
  }
  if (!ok(st)) return undefined;
  // A plain descriptor, not a FileHandle: rustc gets its number, and only close() may end it.
  const fd = await openFd(path, flags);
  opened.push(fd);
  return fd;
}

const openFd = promisify(openCb) as (path: string, flags: number) => Promise<number>;

function closeFd(fd: number): Promise<void> {
  return new Promise<void>((res) => closeCb(fd, () => res()));
}

/** /proc/<pid>/environ: NUL-terminated NAME=value pairs, as the process was started. */
export function parseEnviron(bytes: Buffer): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of bytes.toString('utf8').split('\0')) {
    const eq = pair.indexOf('=');
    if (eq > 0) env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}

function callerError(message: string): SplitcacheError {
  return new SplitcacheError('SPLITCACHE_EXEC_CALLER', message);
}
