import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileDigestMemo } from '@splitcache/hash';
import { tempSuffix, writeFileAtomic } from '@splitcache/store';
import { mountNamespace } from './protocol.js';

/**
 * The digest memo, kept from one daemon to the next on the same store
 * (`<dir>/digests.json`). A daemon exits after its idle timeout, and the next
 * build's started anew with an empty memo, so its calls read every source
 * file again: 604 files (15.6 MB), 79 ms of the daemon's time in a warm tokio
 * build here. Each kept digest answers only while its file's size, mtime,
 * inode and ctime are as they were when it was read (FileDigestMemo.adopt), as
 * git trusts its index's stat data from one command to the next. Written when
 * the daemon stops; read once it listens, in the background, so the first
 * calls never wait for it. Kept for the mount namespace it was written in
 * only: the same path may be another file in a container sharing the store.
 */
const FILE = 'digests.json';
/** A larger file is not read. */
const MAX_BYTES = 64 << 20;
/**
 * The most digests kept, the last the memo took: the file is parsed and taken on the daemon's
 * event loop as a build's first calls come, 2.1 ms for 1,000 entries here, 15 ms for 10,000,
 * 76 ms for 50,000 (a warm tokio build keeps ~600).
 */
const MAX_KEPT = 20_000;

/** Writes the digests the memo read itself, for the next daemon (throws on a write that fails). */
export async function saveKeptDigests(dir: string, memo: FileDigestMemo): Promise<number> {
  const entries = memo.kept().slice(-MAX_KEPT);
  const text = JSON.stringify({ v: 1, mnt: mountNamespace('self') ?? '', entries });
  await writeFileAtomic(join(dir, `.${FILE}.${tempSuffix()}`), join(dir, FILE), Buffer.from(text), 0o600);
  return entries.length;
}

/** Gives the memo the digests a daemon before this one kept; how many it took (0 for a file that is absent, unreadable, or not one of ours). */
export async function loadKeptDigests(dir: string, memo: FileDigestMemo): Promise<number> {
  const path = join(dir, FILE);
  const st = await stat(path).catch(() => undefined);
  if (!st?.isFile() || st.size > MAX_BYTES) return 0;
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(path, 'utf8'));
  } catch {
    return 0;
  }
  if (typeof doc !== 'object' || doc === null) return 0;
  const { v, mnt, entries } = doc as { v?: unknown; mnt?: unknown; entries?: unknown };
  if (v !== 1 || mnt !== (mountNamespace('self') ?? '')) return 0;
  return memo.adopt(entries);
}
