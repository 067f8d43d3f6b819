/**
 * Where this daemon's exec-port runs keep their files (runsDir.ts), and their
 * move off a full /dev/shm. Docker's /dev/shm is 64 MB, shared with all else
 * in the container (a browser under test, PostgreSQL): once it was full, every
 * call the daemon carried built uncached for the rest of its life, one line
 * each; and a run whose rustc wrote its output there while it filled failed
 * the build (rustc 1.95 aborts when it can't write its stderr: exit 134, a
 * crate that read RUSTC_BOOTSTRAP, whose rerun is quiet, in cli/test/shmFull.test.ts).
 * The first run to find it full moves the runs to `runs/` in the store dir,
 * and exec.port names that from then on, for every call that reads it later.
 *
 * A caller reads exec.port once, before it connects, and takes its runs dir
 * from it for the whole call; so a call knows the dir its caller read, and
 * names its runs from there (runFiles.ts). The caller's start time
 * (EPOCHREALTIME, taken just after it read exec.port and connected) tells
 * which: one that started before the move read the old one. A call begun in
 * the same millisecond as the move may be taken for the other side; it then
 * builds plainly, uncached, with bash's one SPLITCACHE_EXEC_RUN line.
 */
import { closeRunsDir, onShm, openRunsDir, storeRunsDir } from './runsDir.js';

export class RunsHome {
  private current: string;
  /** The /dev/shm dir moved away from, and when; kept for the calls begun before, removed at close. */
  private left: { dir: string; at: number } | undefined;

  /** `announce(dir)` writes exec.port naming `dir`, and throws if it can't. */
  constructor(
    private readonly storeDir: string,
    private readonly announce: (dir: string) => void,
  ) {
    this.current = openRunsDir(storeDir);
  }

  /** The runs dir exec.port names now. */
  get dir(): string {
    return this.current;
  }

  /** The runs dir of a call whose caller started at `startedAt` (ms since the epoch). */
  dirFor(startedAt: number): string {
    return this.left && startedAt < this.left.at ? this.left.dir : this.current;
  }

  /**
   * A run found `dir` full (ENOSPC, EDQUOT). If it is this daemon's runs dir on /dev/shm, the
   * runs move to the store dir. `moved`: the runs are elsewhere now (dir); `line`: what to tell
   * the user, given once, to the call that moved them. Nothing moves when the store dir is full
   * too, or exec.port can't be written.
   */
  full(dir: string): { moved: boolean; line?: string } {
    if (this.left?.dir === dir) return { moved: true };
    if (dir !== this.current || !onShm(dir)) return { moved: false };
    let to: string;
    try {
      to = storeRunsDir(this.storeDir);
      this.announce(to);
    } catch {
      return { moved: false };
    }
    this.left = { dir, at: Date.now() };
    this.current = to;
    return { moved: true, line: `SPLITCACHE_EXEC_RUN: /dev/shm is full (${dir}); this daemon's runs go to ${to} from now on` };
  }

  close(): void {
    closeRunsDir(this.current);
    if (this.left) closeRunsDir(this.left.dir);
  }
}
