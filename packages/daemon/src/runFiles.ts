/**
 * A run's files (execCall.ts): its arguments at `stem`, its output at
 * `stem.out` and `stem.err`, and the id its caller is told, which it opens as
 * `<runs>/<id>`, `<runs>` being the dir named in the exec.port it read. That
 * is the dir the runs are in, but for a call begun before they moved off a
 * full /dev/shm (runsHome.ts): its caller is told a path from its dir to the
 * new one, which bash's `$runs/$id` follows, so that the call goes on cached
 * (the old dir stays until the daemon exits, for `..` to lead out of it).
 *
 * And what a full runs dir does to a run. Its arguments that can't be written
 * for space on /dev/shm move the runs, and the run is set up again in the
 * store dir. A run whose rustc failed while its runs dir was full may have
 * failed for that: rustc 1.95 aborts (exit 134) when it can't write its
 * stderr and panics (exit 101) when it can't write its stdout, and a quiet
 * rerun so cut off failed the build (cli/test/shmFull.test.ts). The call then
 * runs plainly, uncached, nothing stored, and a hit whose link step it was is
 * not evicted.
 */
import { realpathSync, unlink, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { oneLine } from '@splitcache/errors';
import { isDiskFull } from '@splitcache/store';
import type { RunDesk } from './execCall.js';
import { nearlyFull, onShm, remakeRunsDir } from './runsDir.js';

export interface RunFiles {
  id: string;
  stem: string;
}

/**
 * A run whose arguments could not be written, or whose output was lost to a full runs dir: the
 * call goes on as a pass-through. `line`: what to tell the user ('' when told already);
 * `args`: the run's, whose .rlink is removed.
 */
export class RunSetupFailed extends Error {
  constructor(
    readonly line: string,
    readonly args: string[],
    readonly reason: 'run-not-set-up' | 'runs-dir-full',
  ) {
    super(line);
  }
}

/**
 * The files of run `n`, in `dir`, for a caller whose runs dir is `callerDir`. Where no path
 * from there can be named (a store dir with a space in its path would split the `run` line;
 * the old dir removed), the run stays in `callerDir`.
 */
export function runFiles(n: string, dir: string, callerDir: string): RunFiles {
  if (dir === callerDir) return { id: n, stem: join(dir, n) };
  try {
    // From the old dir's real path: the kernel takes `..` from where a symlink led, not from its name.
    const id = relative(realpathSync(callerDir), join(dir, n));
    if (!/\s/.test(id)) return { id, stem: join(dir, n) };
  } catch {
    /* the old dir gone: no path from it */
  }
  return { id: n, stem: join(callerDir, n) };
}

/**
 * Writes a run's arguments, and returns its files: `files`, or, once a full /dev/shm has
 * moved the runs, `again()`'s in the store dir (once). Throws RunSetupFailed. `warn` gets
 * the line the move is told with.
 */
export function setUpRun(files: RunFiles, args: string[], desk: Pick<RunDesk, 'runsDirFull'>, again: () => RunFiles, warn: (line: string) => void): RunFiles {
  const text = args.length ? `${args.join('\0')}\0` : '';
  for (let moved = false; ; moved = true) {
    try {
      writeRunArgs(files.stem, text);
      return files;
    } catch (err) {
      // A full file system leaves the file made, empty; and the files of a rustc started ahead for this run are not removed with the call.
      for (const file of [files.stem, `${files.stem}.out`, `${files.stem}.err`]) unlink(file, () => undefined);
      const dir = dirname(files.stem);
      const full = isDiskFull(err) && !moved ? desk.runsDirFull(dir) : { moved: false };
      if (full.line) warn(full.line);
      if (!full.moved) {
        // A full /dev/shm that could not be left (the store's disk full too) is not the store: named as the run's own fault.
        const code = isDiskFull(err) && !onShm(dir) ? 'SPLITCACHE_STORE_FULL' : 'SPLITCACHE_EXEC_RUN';
        const line = `${code}: cannot write a run's arguments to ${dir}: ${(err as NodeJS.ErrnoException).code ?? oneLine(err)} (building uncached)`;
        throw new RunSetupFailed(line, args, isDiskFull(err) ? 'runs-dir-full' : 'run-not-set-up');
      }
      files = again();
      // No path from the caller's dir to the new one (runFiles): this call builds plainly, told already.
      if (dirname(files.stem) === dir) throw new RunSetupFailed('', args, 'runs-dir-full');
    }
  }
}

/**
 * Whether a run that exited `code`, its output in files in `dir`, may have failed for a full
 * `dir`. Under a tee (`teed`: its stderr came over a connection) only stdout went to a file,
 * and rustc says so when it can't write that (FULL_WRITE): any other failure is its own.
 * Taken for full wrongly, a failed run only runs once more, plainly.
 */
export function lostOutput(code: number, teed: boolean, stderr: Buffer, dir: string): boolean {
  return code !== 0 && (!teed || FULL_WRITE.test(stderr.toString('latin1'))) && nearlyFull(dir);
}

/** rustc's panic when a write of its output failed for space: `failed printing to stdout: No space left on device (os error 28)` (EDQUOT is 122). */
const FULL_WRITE = /\(os error (28|122)\)/;

/** What a run whose output was lost in `dir` throws: the call runs again plainly (a full /dev/shm moves the runs). */
export function outputLost(args: string[], dir: string, desk: Pick<RunDesk, 'runsDirFull'>): RunSetupFailed {
  const full = desk.runsDirFull(dir);
  const line = full.line ? `${full.line}; this call builds uncached` : full.moved ? '' : `SPLITCACHE_EXEC_RUN: rustc's output was lost to a full ${dir} (building uncached)`;
  return new RunSetupFailed(line, args, 'runs-dir-full');
}

function writeRunArgs(stem: string, text: string): void {
  try {
    writeFileSync(stem, text, { mode: 0o600 });
  } catch (err) {
    // The runs dir removed from under this daemon (by another's clean-up, a `rm -rf /dev/shm/*`): made again.
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || !remakeRunsDir(dirname(stem))) throw err;
    writeFileSync(stem, text, { mode: 0o600 });
  }
}
