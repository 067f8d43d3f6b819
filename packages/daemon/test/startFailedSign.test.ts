import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statfsSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFailedPaths, writeStartFailed } from '../src/protocol.js';

// A daemon that failed to start leaves its reason in the temp dir, and a sign in the store dir,
// daemon.start-failed, by which bin/splitcache (which can't name the temp dir's note) starts no
// daemon of its own (protocol.ts, writeStartFailed). A client's note leaves nothing in the store.

function store(t: Test, under = tmpdir()): string {
  const dir = mkdtempSync(join(under, 'sign-store-'));
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(startFailedPaths(dir)[0], { force: true });
  });
  return dir;
}

t.test("a daemon's failed start: the reason in the temp dir, and the same in the store dir", async (t) => {
  const dir = store(t);
  const [temp, inStore] = startFailedPaths(dir);
  writeStartFailed(dir, 'SPLITCACHE_STORE_ACCESS: not writable', true);
  t.equal(readFileSync(temp, 'utf8'), 'SPLITCACHE_STORE_ACCESS: not writable\n', 'the temp dir has the reason');
  t.equal(readFileSync(inStore!, 'utf8'), 'SPLITCACHE_STORE_ACCESS: not writable\n', 'so does the store dir');
});

t.test("a client's note (root in another user's store, say): nothing in the store dir", async (t) => {
  const dir = store(t);
  const [temp, inStore] = startFailedPaths(dir);
  writeStartFailed(dir, 'the store dir belongs to uid 4711');
  t.ok(existsSync(temp), 'the temp dir has the reason');
  t.notOk(existsSync(inStore!), 'the store dir has nothing of it');
});

const mnt = mkdtempSync(join(tmpdir(), 'sign-full-'));
const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt]).status === 0;
t.teardown(() => {
  if (mounted) spawnSync('umount', ['-l', mnt]);
  rmSync(mnt, { recursive: true, force: true });
});

t.test("a failed start on a store whose disk is full: the reason in the temp dir, an empty sign in the store's", { skip: !mounted && 'cannot mount a tmpfs here (needs root)' }, async (t) => {
  const dir = join(mnt, 'store');
  mkdirSync(dir);
  t.teardown(() => rmSync(startFailedPaths(dir)[0], { force: true }));
  const [temp, inStore] = startFailedPaths(dir);
  // The sign of a start that failed long ago, then a disk filled to its last byte.
  writeFileSync(inStore!, 'an old reason\n');
  const hourAgo = new Date(Date.now() - 3600_000);
  utimesSync(inStore!, hourAgo, hourAgo);
  const fs = statfsSync(mnt);
  t.equal(spawnSync('fallocate', ['-l', String(fs.bavail * fs.bsize), join(mnt, 'filler')]).status, 0, 'the disk is filled');
  t.throws(() => writeFileSync(join(mnt, 'probe'), 'x'), { code: 'ENOSPC' }, 'full: a byte does not fit');
  writeStartFailed(dir, 'SPLITCACHE_STORE_FULL: no room', true);
  t.equal(readFileSync(temp, 'utf8'), 'SPLITCACHE_STORE_FULL: no room\n', 'the temp dir has the reason');
  t.equal(readFileSync(inStore!, 'utf8'), '', 'the store dir has an empty sign');
  t.ok(statSync(inStore!).mtimeMs > hourAgo.getTime() + 60_000, 'made anew, not the old one left');
});
