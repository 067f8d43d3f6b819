import type { FileDigestMemo } from '@splitcache/hash';
import type { Store } from '@splitcache/store';
import type { DaemonConfig } from './config.js';
import type { Logger } from './log.js';
import type { Maintenance } from './maintenance.js';
import type { NativeCpus } from './nativeCpu.js';
import type { RemoteTier } from './remoteTier.js';
import type { RustcIdentities } from './rustcIdentity.js';
import type { StartStamp } from './startStamp.js';
import type { StoreHome } from './storeHome.js';
import type { StatsKeeper } from './stats.js';
import type { StoreStall } from './storeStall.js';
import type { UploadQueue } from './uploadQueue.js';

/** What the daemon's parts share: the store, the memos, the settings, and the hooks main.ts sets. */
export interface Services {
  /** Called when a read finds the index corrupt: the daemon restarts into a repair. */
  onCorruptIndex?: () => void;
  /** Called when the index failed a write for a full disk, which LevelDB keeps until it is opened again (indexFull.ts). */
  onIndexFull?: () => void;
  /** The store dir and its index as the daemon opened them (storeHome.ts), and what to do once either has moved or been replaced: stop. */
  home?: StoreHome;
  onStoreMoved?: () => void;
  /** The daemon's entry file as it started (installStamp.ts), and what to do once it has been rewritten (an upgrade in place): stop after this call. */
  install?: StartStamp;
  onInstallChanged?: () => void;
  store: Store;
  /** Whether the store's file system still takes writes, asked when a plan is slow (storeStall.ts). */
  stall?: StoreStall;
  maintenance: Maintenance;
  files: FileDigestMemo;
  rustc: RustcIdentities;
  /** What -C target-cpu=native means here, probed once per compiler and target. */
  nativeCpu: NativeCpus;
  stats: StatsKeeper;
  config: DaemonConfig;
  log: Logger;
  /** Present when SPLITCACHE_REMOTE is set: looked up after a local miss. */
  remote?: RemoteTier;
  /**
   * A line for the next call to show its build, from work no call waits on (an upload
   * dropped): at most one a minute per code, as a fault's (compileHandler.ts).
   */
  showLater?: (code: string, line: string) => void;
  /** Present in read-write remote mode: every stored entry is queued for upload. */
  uploads?: UploadQueue;
  /**
   * Settles once `remote` and `uploads` are set, when a remote is configured: the daemon loads
   * them after it listens (main.ts), and whatever needs them waits for this first.
   */
  remoteReady?: Promise<void>;
}
