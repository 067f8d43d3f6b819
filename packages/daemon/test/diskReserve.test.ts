import t from 'tap';
import { statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { checkRoom } from '../src/diskReserve.js';

// A result is not stored when storing it would leave the store's disk under its reserve: judged
// by what the disk would have left after it, not by what it has now. Judged by what it has now, a
// disk well above its reserve took any one result, up to the entry limit (2 GiB), and the build's
// own final link then met a full disk (cli/test/diskReserve.test.ts fills the disk to under the
// reserve first, so it passed either way). Here the temp dir's own disk, whatever it holds.

const dir = tmpdir();
const fs = statfsSync(dir);
const free = fs.bavail * fs.bsize;
const reserve = Math.min(2 ** 30, fs.blocks * fs.bsize * 0.05);
const inodeReserve = Math.min(100_000, Math.floor(fs.files * 0.05));
const roomy = fs.blocks > 0 && free > reserve * 2 && fs.files > 0 && fs.ffree > inodeReserve * 2;

t.test('a result that would take the disk under its reserve is refused; a small one is not', { skip: !roomy && 'the temp dir\'s disk is near its reserve, or counts no blocks or inodes' }, async (t) => {
  t.doesNotThrow(() => checkRoom(dir, 4096, 1), 'a small result on a disk with room');
  t.throws(() => checkRoom(dir, free - reserve / 2, 1), { code: 'SPLITCACHE_STORE_FULL' }, 'bytes that would leave half the reserve');
  t.throws(() => checkRoom(dir, 4096, fs.ffree - Math.floor(inodeReserve / 2)), { code: 'SPLITCACHE_STORE_FULL' }, 'files that would leave half the inode reserve');
});

t.test('a dir that is not there is not judged (the write after says what is wrong)', async (t) => {
  t.doesNotThrow(() => checkRoom('/nonexistent/splitcache-store', 2 ** 40, 2 ** 30));
});
