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

/** The members of each plain archive met, by its digest (null for any other file): read once per daemon. */
const plainMembers = new Map<Digest, string[] | null>();

/**
 * Such an archive's value for the key: ARCHIVE for a plain (not thin) ar archive of one member or
 * more, else its digest as before (staticLibDigest.ts). Only members show what an output bundled:
 * an empty archive bundles nothing, and once it holds code the rlib would; a thin one's members are
 * files of their own; a file that is no archive can't be looked for. Keyed by their bytes, those miss
 * when they change. A file that changed while read is keyed by its bytes too.
 */
export async function unnamedArchiveKey(path: string, files: FileDigestMemo): Promise<string> {
  const members = await plainArchiveMembers(path, files);
  return members !== null && members.length > 0 ? ARCHIVE : staticLibDigest(path, files);
}

/**
 * The member names of the plain archive at `path`, null for a thin one or a file that is no archive,
 * or one that changed while read. Memoised by digest: a system dir (`-L native=/usr/lib/x86_64-linux-gnu`
 * from pkg-config) holds archives of thousands of members, walked for each lib's key and ingest otherwise.
 */
export async function plainArchiveMembers(path: string, files: FileDigestMemo): Promise<string[] | null> {
  const before = stamp(path);
  const own = await files.digest(path);
  let members = plainMembers.get(own);
  if (members === undefined) {
    members = readArchiveFile(path, (readAt, size) => (isThinArchive(readAt) ? null : archiveMembers(readAt, size))) ?? null;
    if (stamp(path) !== before) return null;
    if (plainMembers.size >= 4_000) plainMembers.clear();
    plainMembers.set(own, members);
  }
  return members;
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
