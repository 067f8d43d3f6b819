/**
 * Whether the store dir is still where this daemon opened it. A store moved
 * (`mv ~/.cache/splitcache /big/disk/splitcache`) or removed while its daemon
 * runs keeps its socket and exec.port, which still lead to the daemon, while
 * the daemon goes on by the old path: each hit's blobs are missing there (and
 * the entry is evicted from the moved index), each miss's blobs can't be
 * written, and writing them makes the old path's directories again. The
 * daemon checks before each call (a stat: microseconds), and every 5 s
 * between calls (main.ts), and stops once the dir at its path is not the one
 * it opened; the next call starts a daemon for the store where it is now.
 *
 * The same for the index replaced under it: a CI cache restored over the store
 * (`tar xzf`, `rsync -a`, `cp -a` of a saved store, as a self-hosted runner's
 * cache step does while the last job's daemon still runs). The daemon went on
 * with the index it had open, so no restored entry was looked up, and LevelDB
 * deleted the restored index's files as obsolete ones of its own: the restore
 * was lost for good. LevelDB writes `index/CURRENT` only as it opens
 * an index, so any change to that file afterwards is another's.
 */
import { openSync } from 'node:fs';
import { join } from 'node:path';
import { FILE_IDENTITY, FILE_VERSION, StartStamp } from './startStamp.js';

/** The store dir and its index, as the daemon opened them: changed once either is gone or another. */
export interface StoreHome {
  changed(): boolean;
}

/**
 * The store dir at its path: changed once it is gone or another directory (one made there since).
 * The dir is held open while the daemon runs, so its inode number stays taken once it is removed:
 * a store removed and made again at once got the old dir's number back (ext4 and tmpfs hand a freed
 * one straight out), and its old daemon took it for its own, lived on to its idle timeout, and
 * wrote its digests into the new store as it stopped. Call it once the index is open.
 */
export function storeHome(dir: string): StoreHome {
  try {
    openSync(dir, 'r'); // never closed: the daemon's lifetime (close-on-exec, as node opens every file)
  } catch {
    // not there, or not readable: the stamp says so, or goes by the path alone
  }
  const home = new StartStamp(dir, FILE_IDENTITY);
  const index = new StartStamp(join(dir, 'index', 'CURRENT'), FILE_VERSION);
  return { changed: () => home.changed() || index.changed() };
}
