import type { FileDigestMemo } from '@splitcache/hash';
import { RemoteCache } from '@splitcache/remote';
import type { Store } from '@splitcache/store';
import type { DaemonConfig } from './config.js';
import type { Logger } from './log.js';
import { RemoteTier } from './remoteTier.js';
import type { StatsKeeper } from './stats.js';
import { UploadQueue } from './uploadQueue.js';

export interface RemoteServices {
  remote?: RemoteTier;
  uploads?: UploadQueue;
  /** Stops the upload worker (what is left stays queued) and the connection pool. */
  close(): Promise<void>;
}

/**
 * The remote tier and upload queue for this daemon's configuration: none
 * when SPLITCACHE_REMOTE is unset or `off`, lookups only when `read-only`.
 * A queue left by an earlier daemon resumes at once.
 */
export function openRemote(config: DaemonConfig, s: { store: Store; files: FileDigestMemo; stats: StatsKeeper; log: Logger }): RemoteServices {
  if (config.remoteProblem) {
    s.log.warn(`SPLITCACHE_CONFIG: ${config.remoteProblem}; the remote cache is off`);
    s.stats.count('errors', 'SPLITCACHE_CONFIG');
  }
  const o = config.remote;
  if (!o) return { close: async () => undefined };
  const cache = new RemoteCache(o);
  const remote = new RemoteTier(cache, s, o.signingKey !== undefined);
  const uploads = o.mode === 'read-write' ? new UploadQueue(cache, s) : undefined;
  uploads?.kick();
  return {
    remote,
    uploads,
    close: async () => {
      await uploads?.stop();
      await cache.close();
    },
  };
}
