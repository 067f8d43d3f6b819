/**
 * A path as it was when the daemon started, checked again before each call
 * (a stat: microseconds): storeHome.ts and installStamp.ts say what each is
 * for, and which of the stat's fields tell a change.
 */
import { statSync, type BigIntStats } from 'node:fs';

/**
 * A file's identity, which a file made again at its path does not share: its device, inode
 * and birth time (ns). The inode alone is not enough: a file system hands a freed inode
 * number out again at once (on ext4 here, `rm -rf` of a store then its remaking gave the
 * new exec.port the old one's inode, every time), so a daemon whose store was removed took
 * the new daemon's files for its own. A file system that keeps no birth time gives 0 there.
 */
export const FILE_IDENTITY = (st: BigIntStats) => `${st.dev}:${st.ino}:${st.birthtimeNs}`;

export class StartStamp {
  private readonly atStart: string | undefined;

  /** `describe`: the fields of the path's stat that change with what matters. A path missing at start is never taken for changed. */
  constructor(private readonly path: string | undefined, private readonly describe: (st: BigIntStats) => string) {
    this.atStart = this.now();
  }

  /** Whether the path was there at start. */
  get foundAtStart(): boolean {
    return this.atStart !== undefined;
  }

  /** True once the path is gone, or another (its described fields differ from those at start). */
  changed(): boolean {
    return this.atStart !== undefined && this.now() !== this.atStart;
  }

  private now(): string | undefined {
    if (!this.path) return undefined;
    try {
      const st = statSync(this.path, { throwIfNoEntry: false, bigint: true });
      return st ? this.describe(st) : undefined;
    } catch {
      return undefined;
    }
  }
}
