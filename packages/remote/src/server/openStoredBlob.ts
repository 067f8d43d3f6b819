import { stat, type FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { oneLine, SplitcacheError } from '@splitcache/errors';
import type { Digest } from '@splitcache/hash';
import { NotABlobFile, openBlobFile, type BlobDir } from '@splitcache/store';
import { holdsBlob } from './holdsBlob.js';
import type { KeyTurns } from './keyTurns.js';
import type { ServerIndex } from './serverIndex.js';

/** Open errors that say the file under a blob's name can't be read for good, as the local store's rule (blobDir.ts' GONE). */
const GONE = new Set(['EACCES', 'EPERM', 'EIO']);

type Opened = { fh: FileHandle; size: number };
/** What a look found under a blob's name: the blob opened, nothing, or why what is there is not it (`seen`: the file it opened). */
type Look = Opened | undefined | { why: string; seen?: Stats };

/**
 * Opens a stored blob's file for a GET or HEAD: its handle and size, or undefined where the blob is
 * lost. Opened without blocking and checked, as the local store opens its blobs (store's blobFile.ts):
 * a plain open of a FIFO under a blob's name (another program's) waited for good, holding the GET and
 * one of libuv's four threads, so four such GETs hung the whole server; a link to /dev/zero, a file cut
 * short or empty (a restore copied in part) was a 200 of wrong bytes, and its HEAD's 200 kept every
 * writer from sending the blob again; a directory was a 200 cut off, and every PUT of it a 500. What is
 * there but is not the blob the index names (no regular file, a size other than the one recorded, or
 * unreadable for good: EACCES) is removed, a directory moved into cas/tmp for the next start to clear,
 * and said in one line: the caller drops its index entry and answers 404, and a PUT writes it anew.
 * The removal takes the key's turn (keyTurns.ts) and looks at the name again inside it: a PUT of the
 * blob that renamed its file into place after the first look had that file removed behind its 201
 * (notABlobRemovalRace.test.ts); the blob it finds there now is served. While a PUT or an eviction of
 * the key is under way nothing is removed: the PUT writes the name anew, the eviction removes it.
 * A file of another size that holds the blob (its other form, gzip or raw: a kill or a dir sync that
 * failed between a PUT's rename and its index entry, a PUT of it that replaced the file after the
 * size was read) is the blob: served, and its size recorded (taken for damage, a good blob was removed).
 * `size`: the size the index records; undefined while a PUT of the blob is writing over it.
 */
export async function openStoredBlob(blobs: BlobDir, index: ServerIndex, turns: KeyTurns, digest: Digest, size: number | undefined, log?: (line: string) => void): Promise<Opened | undefined> {
  const first = await look(blobs, index, digest, size);
  if (!first || 'fh' in first) return first;
  const inTurn = await turns.runIfFree(`c${digest}`, async (): Promise<Opened | undefined> => {
    const now = (await index.get('c', digest))?.size;
    // Evicted meanwhile: what is under the name is no stored blob's, for a PUT to write over.
    if (now === undefined) return undefined;
    const again = await look(blobs, index, digest, now, first.seen);
    if (!again || 'fh' in again) return again;
    const removed = await blobs.discard(digest);
    log?.(oneLine(new SplitcacheError('SPLITCACHE_SERVE_IO', `blob file of ${digest} is ${again.why}: answered 404${removed ? ', removed for a PUT to write anew' : ''}`)));
    return undefined;
  });
  return inTurn;
}

/**
 * One look under a blob's name, removing nothing. `bad`: the file an earlier look found not to be the
 * blob; found again unchanged, it is not read through a second time.
 */
async function look(blobs: BlobDir, index: ServerIndex, digest: Digest, size: number | undefined, bad?: Stats): Promise<Look> {
  const path = blobs.pathOf(digest);
  try {
    const { fh, st } = await openBlobFile(path);
    if (size === undefined || st.size === size) return { fh, size: st.size };
    if (!(bad && sameFile(st, bad)) && (await holdsBlob(path, digest).catch(() => false))) {
      // Recorded only while the name still holds this file: a PUT that replaced it records its own.
      const now = await stat(path).catch(() => undefined);
      if (now?.ino === st.ino && now.size === st.size) await index.replace('c', digest, st.size).catch(() => undefined);
      return { fh, size: st.size };
    }
    await fh.close();
    return { why: `${st.size} bytes, not the ${size} stored`, seen: st };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined; // lost behind the index's back: no one to tell
    if (err instanceof NotABlobFile) return { why: `${err.kind}, not a file` };
    // A link to itself, or links in a ring: no open of it ever succeeds. It was a 500 to each GET and HEAD, for good.
    if (code === 'ELOOP') return { why: 'a symlink that loops (ELOOP), not a file' };
    if (code !== undefined && GONE.has(code)) return { why: `unreadable (${code})` };
    throw err; // of this moment (EMFILE): a 500, the blob kept
  }
}

/** Whether two stats are of one file, unchanged. */
function sameFile(a: Stats, b: Stats): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
}
