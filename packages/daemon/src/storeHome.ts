/**
 * Whether the store dir is still where this daemon opened it. A store moved
 * (`mv ~/.cache/splitcache /big/disk/splitcache`) or removed while its daemon
 * runs keeps its socket and exec.port, which still lead to the daemon, while
 * the daemon goes on by the old path: each hit's blobs are missing there (and
 * the entry is evicted from the moved index), each miss's blobs can't be
 * written, and writing them makes the old path's directories again. The
 * daemon checks before each call (a stat: microseconds), and stops once the
 * dir at its path is not the one it opened; the next call starts a daemon
 * for the store where it is now.
 */
import { statSync } from 'node:fs';

export class StoreHome {
  private readonly id: string | undefined;

  constructor(private readonly dir: string) {
    this.id = identity(dir);
  }

  /** True once the dir at the store's path is gone or another one (a directory made there since). */
  moved(): boolean {
    return this.id !== undefined && identity(this.dir) !== this.id;
  }
}

function identity(dir: string): string | undefined {
  try {
    const st = statSync(dir, { throwIfNoEntry: false });
    return st ? `${st.dev}:${st.ino}` : undefined;
  } catch {
    return undefined;
  }
}
