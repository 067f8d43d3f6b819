import { delimiter } from 'node:path';
import { statSync } from 'node:fs';
import { inputOnDisk } from './inputPath.js';

/**
 * The file a call's compiler names, as the call itself would run it: a path
 * with a slash against the call's cwd, a bare name (`rustc`, from `RUSTC=rustc`
 * or a cargo that is not rustup's, which passes no path) through the call's
 * PATH. The daemon runs in its own cwd, with its starter's PATH: a bare name
 * looked at from there named no file at all, so its identity could be neither
 * recorded nor told apart when PATH found another `rustc` (a script that adds
 * flags, another toolchain). The name as given when nothing is found (rustc
 * then fails to start, and the call says so), or when the call has no PATH.
 *
 * Synchronous, on every call: a few stats (~2 µs each) for a bare name, none
 * for a path.
 */
export function compilerFile(program: string, cwd: string, path: string | undefined): string {
  // Joined as text, as execvp takes them (inputPath.ts): resolved lexically, `tcs/cur/../bin` (cur a
  // link) named another toolchain's rustc, and the key held that one's identity (a helper's repro).
  if (program.includes('/')) return tidy(inputOnDisk(cwd, program));
  if (path === undefined) return program;
  for (const dir of path.split(delimiter)) {
    const file = tidy(dir === '' ? inputOnDisk(cwd, program) : `${inputOnDisk(cwd, dir)}/${program}`);
    let st;
    try {
      st = statSync(file, { throwIfNoEntry: false });
    } catch {
      continue; // an entry that is a file, or a dir not to be searched: not here, as execvp takes it (a review's repro)
    }
    if (st?.isFile() && (st.mode & 0o111) !== 0) return file;
  }
  return program;
}

/**
 * A path with its `.` segments and repeated slashes gone, which no link changes the meaning of
 * (`..` stays): the compiler's path names its identity's memo, and `./bin` or `/usr//bin` in PATH
 * named it anew where path.join had tidied them (a review's find).
 */
function tidy(path: string): string {
  return path.replace(/\/(\.\/)+/g, '/').replace(/\/{2,}/g, '/').replace(/\/\.$/, '');
}
