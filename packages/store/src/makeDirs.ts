/**
 * `mkdir -p` that always ends.
 *
 * Node's own recursive mkdir (the `recursive` option, v20 here) never returns for a
 * path whose parent exists but can't hold children: procfs answers ENOENT to a
 * mkdir under `/proc`, Node takes that for a missing parent, makes the parent
 * (EEXIST: fine) and tries the child again, forever, at 100 % CPU. A store set
 * to `SPLITCACHE_DIR=/proc/…` hung every rustc call of a build that way
 * (client and daemon alike). Here each level is tried at most twice: once,
 * then once more after its parent was made; a second ENOENT is the answer.
 *
 * Otherwise as Node's: an existing directory (or a symlink to one) is fine,
 * anything else in the way fails with EEXIST or ENOTDIR, and a directory made
 * meanwhile by another process is taken as made.
 */
import { mkdirSync, statSync } from 'node:fs';
import { lstat, mkdir, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

const codeOf = (err: unknown): unknown => (err as NodeJS.ErrnoException | undefined)?.code;

export function makeDirsSync(dir: string, mode?: number): void {
  try {
    mkdirSync(dir, { mode });
    return;
  } catch (err) {
    if (codeOf(err) === 'EEXIST' && statSync(dir, { throwIfNoEntry: false })?.isDirectory()) return;
    const parent = dirname(dir);
    if (codeOf(err) !== 'ENOENT' || parent === dir) throw err;
    makeDirsSync(parent, mode);
  }
  try {
    mkdirSync(dir, { mode });
  } catch (err) {
    if (codeOf(err) === 'EEXIST' && statSync(dir, { throwIfNoEntry: false })?.isDirectory()) return;
    throw err;
  }
}

export async function makeDirs(dir: string, mode?: number): Promise<void> {
  const isDir = async (): Promise<boolean> => (await stat(dir).catch(() => undefined))?.isDirectory() === true;
  try {
    await mkdir(dir, { mode });
    return;
  } catch (err) {
    if (codeOf(err) === 'EEXIST' && (await isDir())) return;
    const parent = dirname(dir);
    if (codeOf(err) !== 'ENOENT' || parent === dir) throw err;
    await makeDirs(parent, mode);
  }
  try {
    await mkdir(dir, { mode });
  } catch (err) {
    if (codeOf(err) === 'EEXIST' && (await isDir())) return;
    throw err;
  }
}

/**
 * A dir others write in (a temp dir), made where it is gone, or where a file or a dangling symlink
 * stands in its place (no writer's: they write in it), which is removed first. A directory there,
 * or a link to one, is kept. The local store's open (blobDir.ts) and `splitcache serve`'s PUTs
 * (remote's receiveBlob.ts): each failed on such a thing for good.
 */
export async function makeTempDir(dir: string): Promise<void> {
  if ((await stat(dir).catch(() => undefined))?.isDirectory() !== true && (await lstat(dir).catch(() => undefined))) {
    // unlink(2), never a directory's removal: callers at once (PUTs) each find the file, and one that came to
    // remove it after another had made the dir failed on it (a 500 that a retry cleared), or, through
    // fs.rm's fallback to rmdir, removed that dir while it was empty, under the other's temp file to be.
    await unlink(dir).catch((err: unknown) => {
      if (codeOf(err) !== 'ENOENT' && codeOf(err) !== 'EISDIR') throw err;
    });
  }
  await makeDirs(dir);
}
