/**
 * Which of a set of absolute paths a text holds as a path: the path's bytes,
 * followed by a `/`, by the text's end, or by a byte no path name goes on
 * with (anything but `A-Z a-z 0-9 . _ ~ + -`). `/ci/a/data.txt` is held by
 * `include_str!("/ci/a/data.txt")` and by `/ci/a/data.txt/x`, not by
 * `/ci/a/data.txt2`.
 *
 * checkoutInSource asks this of every input and `--extern` file of a crate
 * for each of its inputs under the checkout: a registry crate such as tokio
 * has ~300, and searching each text once per path was a fifth of the
 * daemon's CPU in a cold tokio build (800 of ~4,000 ms, a CPU profile). The
 * paths are grouped by the prefix they share (a prefix-table entry: the
 * package's or the checkout's directory), each text is searched once per
 * prefix, and where a prefix occurs, the bytes after it are looked up by
 * the lengths of that group's paths.
 */
export class PathSearch {
  private readonly groups: { prefix: Buffer; byLength: Map<number, Map<string, string>> }[] = [];
  /** The longest path's length in bytes: a text read in windows keeps this much of the one before, and a byte more. */
  readonly maxLength: number = 0;

  /** `prefixes`: directories the paths may share (the longest that holds a path is used); a path under none is its own. */
  constructor(paths: Iterable<string>, prefixes: readonly string[]) {
    const roots = prefixes.map((p) => p.replace(/\/+$/, '')).filter((p) => p.length > 1).sort((a, b) => b.length - a.length);
    const byPrefix = new Map<string, Map<number, Map<string, string>>>();
    for (const path of paths) {
      if (path === '') continue; // held nowhere, and found at every offset
      const prefix = roots.find((r) => path === r || path.startsWith(`${r}/`)) ?? path;
      let byLength = byPrefix.get(prefix);
      if (!byLength) byPrefix.set(prefix, (byLength = new Map()));
      // Compared as latin1 views of the UTF-8 bytes: one byte a character, as the text is sliced.
      const key = Buffer.from(path).toString('latin1');
      this.maxLength = Math.max(this.maxLength, key.length);
      let same = byLength.get(key.length);
      if (!same) byLength.set(key.length, (same = new Map()));
      same.set(key, path);
    }
    for (const [prefix, byLength] of byPrefix) this.groups.push({ prefix: Buffer.from(prefix), byLength });
  }

  /**
   * The paths `bytes` hold, but those in `skip`. With `more`, the bytes are a window of a longer
   * text that goes on after them: a path that ends where they end is left for the next window,
   * which starts with this one's last maxLength + 1 bytes and tells what follows it.
   */
  held(bytes: Buffer, skip?: ReadonlySet<string>, more = false): string[] {
    const found: string[] = [];
    for (const { prefix, byLength } of this.groups) {
      for (let at = bytes.indexOf(prefix); at >= 0; at = bytes.indexOf(prefix, at + 1)) {
        for (const [length, paths] of byLength) {
          const end = at + length;
          if (end > bytes.length || (end === bytes.length && more) || (end < bytes.length && PATH_NAME_BYTE[bytes[end]!])) continue;
          const path = paths.get(bytes.toString('latin1', at, end));
          if (path !== undefined && !skip?.has(path) && !found.includes(path)) found.push(path);
        }
      }
    }
    return found;
  }
}

/** Bytes a path name goes on with (a `/` ends a name, as do the rest). */
const PATH_NAME_BYTE = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~+-') PATH_NAME_BYTE[c.charCodeAt(0)] = 1;
