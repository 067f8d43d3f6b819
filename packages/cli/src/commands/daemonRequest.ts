import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { legacySockets, othersSocket, storeDir, socketPath, type ProgressFrame } from '@splitcache/daemon/protocol';
import { DaemonConnection, DaemonSilent } from '../daemonConnection.js';
import { stopHungDaemon } from '../daemonPid.js';
import { sampleDaemon } from '../daemonWatch.js';
import { connectOrStart } from '../daemonStart.js';

export const DAEMON_MAIN = join(fileURLToPath(import.meta.url), '..', '..', '..', '..', '..', 'daemon', 'dist', 'bundle', 'main.cjs');

/**
 * Sends one request to the daemon; `start` starts it if it isn't running.
 * A daemon that failed to start gives `{ error }` (see noReply); so does one
 * found hung, which is stopped (daemonPid.ts), one that closed the connection
 * before it answered (it died, or was killed: SPLITCACHE_DAEMON_LOST), and
 * one whose reply can't be read. Undefined: no daemon runs, and `start` was false.
 */
export async function daemonRequest<T>(req: unknown, start: boolean, onProgress?: (p: ProgressFrame['progress']) => void): Promise<T | undefined> {
  const until = Date.now() + START_WAIT_MS;
  let told = false;
  for (;;) {
    let reply: T | undefined;
    try {
      reply = await askDaemon<T>(req, start, onProgress);
    } catch (err) {
      return { error: requestFailure(err) } as T;
    }
    // The daemon before this one, stopped while a call of its still compiles, holds the store: the one
    // started meanwhile stands in, and goes as soon as it ends (daemon/src/main.ts, StillStopping). A
    // request is asked again until a daemon that has the store answers it, as a start is waited for.
    // Before, `audit verify`, `gc` or `stats` run just after a `server stop` during a build failed
    // (exit 1) with the stand-in's line (a concurrency hunt's find).
    const holder = start ? stoppingHolder(reply) : undefined;
    if (holder === undefined || Date.now() >= until) return reply;
    if (!told) process.stderr.write(`splitcache: waiting for the daemon before this one (pid ${holder}) to finish a call it has in hand\n`);
    told = true;
    await new Promise((res) => setTimeout(res, HANDOFF_POLL_MS));
  }
}

/** How often a request answered by a stand-in for a stopping daemon is asked again. */
const HANDOFF_POLL_MS = 250;

/** The pid of the stopping daemon a stand-in's error names (main.ts, StillStopping), if that is the reply. */
function stoppingHolder(reply: unknown): string | undefined {
  const error = (reply as { error?: unknown } | undefined)?.error;
  return typeof error === 'string' ? /^SPLITCACHE_STORE_LOCKED: the daemon before this one \(pid (\d+)\) still holds the store/.exec(error)?.[1] : undefined;
}

/**
 * How long a subcommand waits for a daemon that is starting. A compile waits 5 s, then builds
 * uncached; a user who asked for `stats` wants the answer, and a daemon whose start was slow
 * (a loaded machine, its store's first fsync behind a flood of writeback) still gives it. A start
 * that failed says so at once, as for a compile (daemonStart.ts).
 */
const START_WAIT_MS = 30_000;

/**
 * daemonRequest, but a request that ends without a reply it can read throws
 * (an Error with a `code`): `server stop` then stops the daemon by signal.
 */
export async function askDaemon<T>(req: unknown, start: boolean, onProgress?: (p: ProgressFrame['progress']) => void): Promise<T | undefined> {
  let dir: string;
  try {
    dir = storeDir(process.env);
  } catch (err) {
    return { error: `SPLITCACHE_DAEMON_UNREACHABLE: ${(err as Error).message}` } as T; // no HOME to find the store by
  }
  // Never another user's daemon (root could connect to it): without `start`, as if none ran (server.ts then says whose it is).
  const sock = socketPath(dir);
  const conn = start ? await connectOrStart(dir, DAEMON_MAIN, START_WAIT_MS).catch((e: Error) => e) : othersSocket(sock) === undefined ? ((await DaemonConnection.tryConnect(sock)) ?? (await earlierDaemon(dir, sock))) : undefined;
  if (conn instanceof Error) return { error: `SPLITCACHE_DAEMON_UNREACHABLE: ${conn.message}` } as T;
  if (!conn) return undefined;
  conn.onSilent = () => stopHungDaemon(dir);
  conn.sample = () => sampleDaemon(dir);
  try {
    return await conn.request<T>(req, onProgress);
  } catch (err) {
    if (err instanceof DaemonSilent) return { error: `${err.code}: ${err.message}` } as T;
    throw err;
  } finally {
    conn.close();
  }
}

/** Why a request failed, as `CODE: message` on one line. */
function requestFailure(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown } | undefined;
  // socketTransport.ts's closedError: the connection ended before the reply.
  if (e?.code === 'SPLITCACHE_DAEMON_UNREACHABLE') return 'SPLITCACHE_DAEMON_LOST: the daemon closed the connection before answering';
  const code = typeof e?.code === 'string' && e.code.startsWith('SPLITCACHE_') ? e.code : 'SPLITCACHE_DAEMON_PROTOCOL';
  return `${code}: ${String(e?.message ?? err).split('\n')[0]}`;
}

/**
 * Says why a request got no usable reply: the daemon's own error (a store that
 * won't open, say) if it gave one, else that none answered. Returns the exit code.
 */
export function noReply(reply: unknown): number {
  const error = (reply as { error?: unknown } | undefined)?.error;
  process.stderr.write(`splitcache: ${typeof error === 'string' ? error : 'SPLITCACHE_DAEMON_UNREACHABLE: cannot reach the daemon'}\n`);
  return 1;
}

/**
 * A daemon of an earlier splitcache serving a deep store at its old temp-dir socket (storeSocket.ts):
 * after an upgrade in place, `server status` said "not running" and `server stop` "was not running"
 * while it ran (an upgrade helper's repro). A build's first call has it stop (legacyDaemon.ts).
 */
async function earlierDaemon(dir: string, sock: string): Promise<DaemonConnection | undefined> {
  if (!sock.startsWith('/proc/self/fd/')) return undefined;
  for (const old of legacySockets(dir)) {
    const conn = othersSocket(old) === undefined ? await DaemonConnection.tryConnect(old) : undefined;
    if (conn) return conn;
  }
  return undefined;
}
