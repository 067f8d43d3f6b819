import { resolve } from 'node:path';
import { storeRealPath } from './storeSocket.js';

/**
 * Where the file a path names (as dep-info names it, or a placeholder expanded) is, seen from
 * `cwd`: the two joined as text, as rustc's own open of it does, never resolved lexically.
 * rustc writes an include from a module under a symlinked directory as `src/link/../data.txt`:
 * the kernel takes `..` from where the link points, so that is the link target's sibling, while
 * path.resolve() drops `link/..` and names `src/data.txt`, another file. Digesting that one, a
 * result recorded the wrong file's digest and hit after the file rustc read had changed.
 */
export function inputOnDisk(cwd: string, path: string): string {
  if (path.startsWith('/')) return path;
  return cwd.endsWith('/') ? cwd + path : `${cwd}/${path}`;
}

/**
 * `out-dir-through-link` where the call's --out-dir, as rustc opens it, is another directory than
 * its path read lexically names: a `..` after a symlink (`cargo build --manifest-path
 * link/Cargo.toml --target-dir link/../target`, a Makefile's `--out-dir link/../out`). Ingest and
 * replay find their files by the out dir's path, and lexically, `link/..` is the link's parent:
 * a result was stored from a stale dir beside the link, and another checkout hit it (a helper's
 * repro: `v() = 1` where plain cargo printed 2). Such a call runs plainly.
 */
export function outDirThroughLink(outDir: string | undefined, cwd: string): 'out-dir-through-link' | undefined {
  if (outDir === undefined || !/(^|\/)\.\.(\/|$)/.test(outDir)) return undefined;
  const given = inputOnDisk(cwd, outDir);
  return storeRealPath(given) === storeRealPath(resolve(given)) ? undefined : 'out-dir-through-link';
}
