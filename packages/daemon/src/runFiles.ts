/**
 * A run's files (execCall.ts): its arguments at `stem`, its output at
 * `stem.out` and `stem.err`, and the id its caller is told, which it opens as
 * `<runs>/<id>`, `<runs>` being the dir named in the exec.port it read. That
 * is the dir the runs are in, but for a call begun before they moved off a
 * full /dev/shm (runsHome.ts): its caller is told a path from its dir to the
 * new one, which bash's `$runs/$id` follows, so that the call goes on cached
 * (the old dir stays until the daemon exits, for `..` to lead out of it).
 */
import { realpathSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { remakeRunsDir } from './runsDir.js';

export interface RunFiles {
  id: string;
  stem: string;
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

/** Writes a run's arguments; throws the file system's error. */
export function writeRunArgs(stem: string, text: string): void {
  try {
    writeFileSync(stem, text, { mode: 0o600 });
  } catch (err) {
    // The runs dir removed from under this daemon (by another's clean-up, a `rm -rf /dev/shm/*`): made again.
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || !remakeRunsDir(dirname(stem))) throw err;
    writeFileSync(stem, text, { mode: 0o600 });
  }
}
