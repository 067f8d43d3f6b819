/**
 * This user's own directory in the temp dir, `<tmpdir>/splitcache-<uid>`, for
 * the files of a store that live there: a deep store's socket, the note of a
 * failed start, the markers of faults already shown.
 *
 * The temp dir is shared by every user of the machine, and those names are a
 * hash of the store's path, which anyone can work out. Kept directly in it,
 * another user could make the socket first and listen on it: the calls of the
 * store's owner then sent that user every compile request (each with its whole
 * environment) and ran whatever rustc arguments came back. Or leave a note,
 * whose text each call printed as the reason it built uncached. So the files
 * go in a directory that must be this user's own (made mode 0700; one of
 * theirs left open is closed), and one that exists but belongs to someone
 * else, or is no directory, is refused: the call builds uncached, saying so.
 *
 * A directory that can't be made because the temp dir itself is missing is not
 * refused: its path is given as it is, and whatever is to go there fails as it
 * would have in the temp dir (the daemon's start then says why).
 *
 * Bundled into the client: node builtins only.
 */
import { chmodSync, lstatSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';

/** `base`: the temp dir; a relative TMPDIR (one per crate's directory, as cargo runs rustc in each) is taken as /tmp. */
export function userTempDir(base = tmpdir()): string {
  const uid = process.getuid?.() ?? -1;
  const dir = userTempPath(base);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return dir;
  }
  const st = lstatSync(dir);
  if (!st.isDirectory() || (uid >= 0 && st.uid !== uid)) {
    const what = st.isDirectory() ? `belongs to uid ${st.uid}` : 'is not a directory';
    throw Object.assign(new Error(`${dir} ${what}, not to this user (uid ${uid}): the daemon's files can't go in the temp dir (set TMPDIR to a directory of your own)`), {
      code: 'SPLITCACHE_DAEMON_UNREACHABLE',
    });
  }
  if ((st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
  return dir;
}

/** Where userTempDir is, made or not: for a look at what may be there, which makes nothing. */
export function userTempPath(base = tmpdir()): string {
  const uid = process.getuid?.() ?? -1;
  return join(isAbsolute(base) ? base : '/tmp', `splitcache-${uid < 0 ? 'user' : uid}`);
}
