import { dirname } from 'node:path';
import type { Digest, FileDigestMemo } from '@splitcache/hash';
import { archiveMembers, isThinArchive } from '@splitcache/rustc';
import { readArchiveFile } from './archiveFile.js';
import { inputOnDisk } from './inputPath.js';

/** The members of each thin archive met, by its digest (its bytes name them): read once per daemon. */
const thinMembers = new Map<Digest, string[] | null>();

/**
 * A native static library's digest for the key (manifestKey.ts, item 8). A thin archive
 * (`ar T`, as large C and C++ builds make them) holds its members' paths, not their code, and
 * rustc bundles the members themselves into an rlib: its own bytes stay the same when a member
 * is rebuilt (Debian's ar is deterministic), and a crate hit with the old member's code. Such an
 * archive's digest is followed by each member's (`absent` for one that is not there).
 */
export async function staticLibDigest(path: string, files: FileDigestMemo): Promise<string> {
  const own = await files.digest(path);
  let members = thinMembers.get(own);
  if (members === undefined) {
    members = readThinMembers(path);
    if (thinMembers.size >= 10_000) thinMembers.clear();
    thinMembers.set(own, members);
  }
  if (members === null) return own;
  const parts = [own];
  // Joined as text (inputPath.ts): a library found through `link/..` has its members beside the link's target.
  for (const m of members) parts.push(await files.digest(inputOnDisk(dirname(path), m)).catch(() => 'absent'));
  return parts.join(' ');
}

/** The member paths of a thin archive; null for any other file (a full archive, one that can't be read). */
function readThinMembers(path: string): string[] | null {
  return readArchiveFile(path, (readAt, size) => (isThinArchive(readAt) ? archiveMembers(readAt, size) : null)) ?? null;
}
