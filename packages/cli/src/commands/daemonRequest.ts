import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { storeDir, socketPath, type ProgressFrame } from '@splitcache/daemon/protocol';
import { DaemonConnection, DaemonSilent } from '../daemonConnection.js';
import { stopHungDaemon } from '../daemonPid.js';
import { connectOrStart } from '../daemonStart.js';

export const DAEMON_MAIN = join(fileURLToPath(import.meta.url), '..', '..', '..', '..', '..', 'daemon', 'dist', 'bundle', 'main.cjs');

/**
 * Sends one request to the daemon; `start` starts it if it isn't running.
 * A daemon that failed to start gives `{ error }` (see noReply); so does one
 * found hung, which is stopped (daemonPid.ts).
 */
export async function daemonRequest<T>(req: unknown, start: boolean, onProgress?: (p: ProgressFrame['progress']) => void): Promise<T | undefined> {
  const dir = storeDir(process.env);
  const conn = start ? await connectOrStart(dir, DAEMON_MAIN).catch((e: Error) => e) : await DaemonConnection.tryConnect(socketPath(dir));
  if (conn instanceof Error) return { error: `SPLITCACHE_DAEMON_UNREACHABLE: ${conn.message}` } as T;
  if (!conn) return undefined;
  conn.onSilent = () => stopHungDaemon(dir);
  try {
    return await conn.request<T>(req, onProgress);
  } catch (err) {
    if (err instanceof DaemonSilent) return { error: `${err.code}: ${err.message}` } as T;
    throw err;
  } finally {
    conn.close();
  }
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
