import { daemonRequest } from './daemonRequest.js';
import { storeDir, socketPath } from '@splitcache/daemon/protocol';
import { existsSync } from 'node:fs';

/** `splitcache server stop|status|start`. */
export async function runServer(args: string[]): Promise<number> {
  const sub = args[0] ?? 'status';
  if (sub === 'stop') {
    // The daemon flushes its upload queue (bounded by SPLITCACHE_REMOTE_FLUSH_TIMEOUT) before it answers.
    const r = await daemonRequest<{ stopping: boolean; uploadsLeft?: number }>({ op: 'stop' }, false);
    if (r?.stopping) {
      // Wait until the socket is gone: the index is closed and the stats flushed by then.
      const sock = socketPath(storeDir(process.env));
      for (let i = 0; i < 100 && existsSync(sock); i++) await new Promise((res) => setTimeout(res, 50));
    }
    const left = r?.uploadsLeft ? ` (${r.uploadsLeft} uploads left in the queue for the next daemon)` : '';
    process.stdout.write(r?.stopping ? `splitcache daemon stopped${left}\n` : 'splitcache daemon was not running\n');
    return 0;
  }
  if (sub === 'start' || sub === 'status') {
    const r = await daemonRequest<{ pid: number }>({ op: 'ping' }, sub === 'start');
    process.stdout.write(r ? `splitcache daemon running (pid ${r.pid}, store ${storeDir(process.env)})\n` : 'splitcache daemon not running\n');
    return r || sub === 'status' ? 0 : 1;
  }
  process.stderr.write(`splitcache: unknown server command '${sub}' (stop, start, status)\n`);
  return 2;
}
