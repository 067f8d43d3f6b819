/**
 * A path as it was when the daemon started, checked again before each call
 * (a stat: microseconds): storeHome.ts and installStamp.ts say what each is
 * for, and which of the stat's fields tell a change.
 */
import { statSync, type BigIntStats } from 'node:fs';

/**
 * A file's identity, which a file made again at its path does not share: its device and inode.
 * A file system hands a freed inode number out again at once, though (ext4 and tmpfs here), so a
 * store dir removed and made again can carry its old inode: ownedPath.ts tells its own files by
 * their ctime too. Not by birth time: where statx is refused (an old container seccomp profile),
 * libuv falls back to stat(2) and reports the ctime as the birth time, which each new entry of a
 * directory changes, and the daemon would take its own store dir for another at every call.
 */
export const FILE_IDENTITY = (st: BigIntStats) => `${st.dev}:${st.ino}`;

/** A file's identity and, as far as its stat tells, its content: any write, or a file put in its place, changes it. */
export const FILE_VERSION = (st: BigIntStats) => `${FILE_IDENTITY(st)}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;

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
