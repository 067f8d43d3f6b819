import { lstatSync, type Stats } from 'node:fs';

/**
 * Whether the file at `path` (`st`: its stat, symlinks followed) changed at or after `since`
 * (ms, the daemon's clock): a compile that started then may have read it either way.
 * - A file system that keeps whole seconds (ext3, ext4 with 128-byte inodes, many network and
 *   FUSE mounts) dates every change within a second at its start: a ctime of whole seconds counts
 *   from the start of the second `since` falls in. Before, an edit in the second a compile started
 *   read as older than it, and its new digest was stored with outputs of the old text. (A finer
 *   file system gives a whole second one time in a thousand: that result is not stored.)
 * - A symlink counts by its own change too: stat follows it, and a link pointed at another file
 *   (`ln -sfn`) keeps the target's old ctime, so the new target's digest was stored with outputs
 *   compiled from the old one. A link in a directory above the file is not looked at.
 */
export function changedSince(path: string, st: Stats, since: number): boolean {
  // No slack for the kernel's coarse clock (a change dated up to a tick before it happened): rustc
  // takes ~40 ms to start before it reads a source, so a write that lands within a tick after
  // `since` is read in its new form, and its digest matches. A slack would also refuse a file a
  // build script wrote just before cargo ran the crate that includes it.
  const from = since;
  if (changedFrom(st.ctimeMs, from)) return true;
  let link: Stats | undefined;
  try {
    link = lstatSync(path, { throwIfNoEntry: false });
  } catch {
    return true; // gone or unreadable since the stat: changed
  }
  return link === undefined || (link.isSymbolicLink() && changedFrom(link.ctimeMs, from));
}

function changedFrom(ctimeMs: number, from: number): boolean {
  return ctimeMs >= (ctimeMs % 1000 === 0 ? Math.floor(from / 1000) * 1000 : from);
}
