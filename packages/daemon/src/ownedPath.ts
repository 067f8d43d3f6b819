/**
 * A file this daemon put in its store dir (the socket, exec.port), removed when
 * the daemon stops only if the file at that path is still the one it made. A
 * store removed while its daemon ran (`rm -rf ~/.cache/splitcache`, a `cargo
 * clean` of a target dir that held it) is made again by the next call, whose
 * new daemon puts its own socket and exec.port at the same paths. The old
 * daemon, stopping later (its idle timeout, or storeHome.ts), removed them by
 * path: the new daemon, which holds the new index's lock, was then reached by
 * no call, and every daemon started after it found the index locked, so
 * builds went uncached until it idled out.
 */
import { unlinkSync, type BigIntStats } from 'node:fs';
import { FILE_IDENTITY, StartStamp } from './startStamp.js';

/**
 * The identity of a file this daemon made: its device and inode, and its ctime, which a file made
 * since at the path has anew even where it got the old one's inode number (handed straight back by
 * ext4 and tmpfs: the remade store's exec.port or socket had the old one's inode most times, and the
 * old daemon removed it, CI on 1a2c506). Nothing changes these files' ctime once they are in place.
 */
const OWN_FILE = (st: BigIntStats) => `${FILE_IDENTITY(st)}:${st.ctimeNs}`;

export class OwnedPath {
  private readonly stamp: StartStamp;

  constructor(readonly path: string) {
    this.stamp = new StartStamp(path, OWN_FILE);
  }

  /** Removes the file if it is the one found at construction; leaves another (or none) alone. */
  removeIfOwn(): void {
    if (!this.stamp.foundAtStart || this.stamp.changed()) return;
    try {
      unlinkSync(this.path);
    } catch {
      // gone meanwhile: nothing to remove
    }
  }
}
