import { mkdir, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { makeDirs } from '@splitcache/store';

/**
 * Moves a received blob, its data already on disk (receiveBlob.ts syncs it), to its final name
 * `dest`, and syncs the directory that now names it (and the one above, where its shard dir was
 * made just now), so the name outlives a power loss before the PUT is answered. A client PUTs a
 * record only after its blobs' answers, so no record can name a blob a power loss takes back.
 * Unsynced, a power loss on the team server could leave a blob empty or torn under its final
 * name: every reader refused it (a miss) until a daemon that had read it damaged sent it again.
 * A dir sync that fails throws (a 500), and leaves the file, whole, under its name and unindexed:
 * the writer's PUT sent again, or the next start (adoptUnindexed.ts), counts it in; removing it
 * would be one more unsynced change on the failing disk, and where it replaced a blob the index
 * names, a loss (docs/RELIABILITY.md).
 */
export async function placeBlob(tmp: string, dest: string): Promise<void> {
  const shard = dirname(dest);
  let made = await mkdir(shard).then(
    () => true,
    async (err: NodeJS.ErrnoException) => {
      if (err.code === 'EEXIST') return false;
      await makeDirs(shard);
      return true;
    },
  );
  // A directory under the blob's name (an admin's, a restore's) is moved into the temp dir, which the next start
  // clears: every PUT of the blob was a 500 (EISDIR), for good. Moved, not removed: it is no blob, and may be a mount point.
  // So is a file or a dangling symlink in the shard dir's place: every PUT of a blob of that shard, 1 in 256, was a 500 (ENOTDIR), for good.
  await rename(tmp, dest).catch(async (err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOTDIR' || err.code === 'ENOENT') {
      // A directory by now (another PUT into the shard moved the file aside and made it): tried again as it is.
      if (!(await stat(shard).catch(() => undefined))?.isDirectory()) {
        await moveShardAside(shard, `${tmp}.not-a-shard`);
        await mkdir(shard).catch((e: NodeJS.ErrnoException) => {
          if (e.code !== 'EEXIST') throw e; // another PUT's, made just now
        });
      }
      // Synced above it by this PUT too: the one that made it may not have synced it yet.
      made = true;
    } else if (err.code === 'EISDIR' || err.code === 'ENOTEMPTY' || err.code === 'EEXIST') {
      await rename(dest, `${tmp}.not-a-blob`);
    } else {
      throw err;
    }
    await rename(tmp, dest);
  });
  await syncDir(shard);
  if (made) await syncDir(dirname(shard));
}

/**
 * Moves what is in a shard dir's place to `aside`, unless it is a directory by now. PUTs into that shard at
 * once each find the file, and each went to move it: all but the first found nothing there, or the dir made
 * already (a 500, that a retry cleared), and one could move aside the dir the first had just made, its blob in
 * it, after its 201. `aside` is made an empty file first: a file or a link is renamed over it, and a directory
 * can't be (ENOTDIR), so it stays.
 */
async function moveShardAside(shard: string, aside: string): Promise<void> {
  await writeFile(aside, '', { flag: 'wx' });
  await rename(shard, aside).catch(async (err: NodeJS.ErrnoException) => {
    await rm(aside, { force: true });
    // ENOTDIR: a directory now, another PUT's; ENOENT: moved aside already, by another PUT.
    if (err.code !== 'ENOTDIR' && err.code !== 'ENOENT') throw err;
  });
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
