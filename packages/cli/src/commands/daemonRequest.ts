import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { storeDir, socketPath, type ProgressFrame } from '@splitcache/daemon/protocol';
import { connectOrStart, DaemonConnection } from '../daemonConnection.js';

export const DAEMON_MAIN = join(fileURLToPath(import.meta.url), '..', '..', '..', '..', '..', 'daemon', 'dist', 'bundle', 'main.mjs');

/** Sends one request to the daemon; `start` starts it if it isn't running. */
export async function daemonRequest<T>(req: unknown, start: boolean, onProgress?: (p: ProgressFrame['progress']) => void): Promise<T | undefined> {
  const dir = storeDir(process.env);
  const conn = start ? await connectOrStart(dir, DAEMON_MAIN) : await DaemonConnection.tryConnect(socketPath(dir));
  if (!conn) return undefined;
  try {
    return await conn.request<T>(req, onProgress);
  } finally {
    conn.close();
  }
}
