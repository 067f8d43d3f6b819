import { statSync } from 'node:fs';
import type { Digest, FileDigestMemo } from '@splitcache/hash';
import { archiveMembers, isThinArchive } from '@splitcache/rustc';
import { readArchiveFile } from './archiveFile.js';
import { staticLibDigest } from './staticLibDigest.js';

/**
 * Key item 8's value for an archive no -l names, in an -L native dir of a call that writes an rlib or
 * staticlib, where it is a plain archive with members: a `#[link(kind = "static")]` may bundle it, and
 * where the output did, its bytes are an input of the result (bundledArchives.ts), not of the key.
 */
export const ARCHIVE = 'archive';

/** Whether each archive met, by its digest, is a plain one with members: read once per daemon. */
const plainArchives = new Map<Digest, boolean>();

/**
 * Such an archive's value for the key: ARCHIVE for a plain (not thin) ar archive of one member or
 * more, else its digest as before (staticLibDigest.ts). Only members show what an output bundled:
 * an empty archive bundles nothing, and once it holds code the rlib would; a thin one's members are
 * files of their own; a file that is no archive can't be looked for. Keyed by their bytes, those miss
 * when they change. A file that changed while read is keyed by its bytes too.
 */
export async function unnamedArchiveKey(path: string, files: FileDigestMemo): Promise<string> {
  const before = stamp(path);
  const own = await files.digest(path);
  let plain = plainArchives.get(own);
  if (plain === undefined) {
    plain = readArchiveFile(path, (readAt, size) => !isThinArchive(readAt) && archiveMembers(readAt, size).length > 0) ?? false;
    if (stamp(path) !== before) return staticLibDigest(path, files);
    if (plainArchives.size >= 10_000) plainArchives.clear();
    plainArchives.set(own, plain);
  }
  return plain ? ARCHIVE : staticLibDigest(path, files);
}

/** A file's size, mtime and ctime, to see it was not rewritten while read. */
function stamp(path: string): string {
  try {
    const st = statSync(path, { bigint: true });
    return `${st.size} ${st.mtimeNs} ${st.ctimeNs} ${st.ino}`;
  } catch {
    return 'none';
  }
}
