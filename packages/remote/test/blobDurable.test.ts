import t from 'tap';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { digestBytes, initHash } from '@splitcache/hash';
import { CacheServer } from '../src/index.js';
import { canLoopMount, mountFreshExt4, mountImage, sh, tmp } from './serverHelpers.js';

// A blob splitcache serve has answered 201 is on its disk, under its final name: a power loss
// right after the answer keeps it whole. Before, it was renamed into place with its data still in
// the page cache, and a power loss could leave its name with no data or part of it, which every
// reader refused (or, as here, no blob at all). The power loss is real enough: the server's dir
// is an ext4 file system on a loop device, and the image file it writes to is copied right after
// the answer (all the file system had sent to its device by then) and mounted, its journal replayed.

const canLoop = canLoopMount();

t.before(initHash);

t.test('blobs answered 201 survive a power loss right after, whole, under its final name', { skip: !canLoop && 'needs root, losetup with a free loop device, and mkfs.ext4' }, async (t) => {
  const dir = tmp('sc-durable-');
  const image = join(dir, 'disk.img');
  const mnt = join(dir, 'mnt');
  const after = join(dir, 'after');
  mkdirSync(mnt);
  mkdirSync(after);
  mountFreshExt4(t, image, mnt);
  const s = await CacheServer.start({ dir: join(mnt, 'serve'), host: '127.0.0.1', port: 0 });
  t.teardown(() => s.close(1000));
  // One blob whose shard is new, then one whose shard dir is there already, as on a server that has
  // run a while (all 256 are). In that order: the first's sync of cas/ for its new shard commits
  // ext4's journal, the second's rename with it if it came first.
  const blobs = [randomBytes(256 * 1024), randomBytes(256 * 1024)];
  while (digestBytes(blobs[1]!).slice(0, 2) === digestBytes(blobs[0]!).slice(0, 2)) blobs[1] = randomBytes(256 * 1024);
  mkdirSync(join(mnt, 'serve', 'cas', digestBytes(blobs[1]!).slice(0, 2)));
  // The server's start (its dirs, its index) on the disk: only the PUTs' own writes are in question.
  sh(`sync -f '${mnt}'`);
  for (const blob of blobs) t.equal((await fetch(`${s.url}/cas/${digestBytes(blob)}`, { method: 'PUT', body: new Uint8Array(blob) })).status, 201, 'the PUT is answered 201');
  // The power goes now: the disk holds what the file system had sent it.
  const copy = join(dir, 'after.img');
  copyFileSync(image, copy);
  mountImage(t, copy, after);
  for (const [i, blob] of blobs.entries()) {
    const digest = digestBytes(blob);
    const file = join(after, 'serve', 'cas', digest.slice(0, 2), digest.slice(2));
    const shard = i === 0 ? 'a new shard' : 'a shard there before';
    t.ok(existsSync(file), `the blob in ${shard} is there after the power loss, under its final name`);
    t.ok(existsSync(file) && readFileSync(file).equals(blob), 'and whole');
  }
});
