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
