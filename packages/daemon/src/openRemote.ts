import type { FileDigestMemo } from '@splitcache/hash';
import type { Store } from '@splitcache/store';
import type { DaemonConfig } from './config.js';
import type { Logger } from './log.js';
import type { RemoteTier } from './remoteTier.js';
import type { StatsKeeper } from './stats.js';
import type { UploadQueue } from './uploadQueue.js';

export interface RemoteServices {
  remote?: RemoteTier;
  uploads?: UploadQueue;
  /** Flushes the upload queue briefly, then stops the worker (what is left stays queued) and the pool. */
  close(): Promise<void>;
}

/**
 * The remote tier and upload queue for this daemon's configuration: none
 * when SPLITCACHE_REMOTE is unset or `off`, lookups only when `read-only`.
 * A queue left by an earlier daemon resumes at once.
 */
export async function openRemote(config: DaemonConfig, s: { store: Store; files: FileDigestMemo; stats: StatsKeeper; log: Logger; showLater?: (code: string, line: string) => void; faultLater?: (err: unknown, after: string) => void }): Promise<RemoteServices> {
  const o = config.remote;
  if (!o) return { close: async () => undefined };
  // Loaded only when a remote is configured: undici and the remote package cost
  // ~400 ms of module loading at daemon start here.
  const [{ RemoteCache }, { RemoteTier }, { UploadQueue }] = await Promise.all([
    import('@splitcache/remote'),
    import('./remoteTier.js'),
    import('./uploadQueue.js'),
  ]);
  // A blob is fetched only as large as the store would take one result (SPLITCACHE_MAX_ENTRY_SIZE; 0: no limit).
  const cache = new RemoteCache({ ...o, maxBlobBytes: config.maxEntryBytes || undefined });
  const remote = new RemoteTier(cache, s, o.signingKey !== undefined);
  const uploads = o.mode === 'read-write' ? new UploadQueue(cache, s, { refused: (key) => remote.refusedInputSet(key), replaced: (key) => remote.replacedInputSet(key) }) : undefined;
  uploads?.kick();
  return {
    remote,
    uploads,
    close: async () => {
      // An idle exit or SIGTERM also gets a short flush; `server stop` has already had the full one.
      await uploads?.flush(Math.min(o.flushTimeoutMs, 5000)).catch(() => undefined);
      const stopped = uploads?.stop();
      await cache.close(); // aborts a request still in flight: its item stays queued
      await stopped;
    },
  };
}
