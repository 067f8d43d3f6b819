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
 */
import { FILE_IDENTITY, StartStamp } from './startStamp.js';

/** The store dir at its path: changed once it is gone or another directory (one made there since). */
export function storeHome(dir: string): StartStamp {
  return new StartStamp(dir, FILE_IDENTITY);
}
