import t, { type Test } from 'tap';
import { readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { takeSpawnLock } from '../src/spawnLock.js';
import { tempDir } from './helpers.js';

// A spawn lock's age is read against the clock that dated it: its file system's. Here this
// process's clock is moved, so the (real) file system's reads that far from it, as a network file
// system's server or a VM host's bind mount may.
function withClockMoved(t: Test, byMs: number): void {
  const realNow = Date.now;
  Date.now = () => realNow() + byMs;
  t.teardown(() => void (Date.now = realNow));
}

t.test("a store dir 3 s behind the caller's clock: an empty lock just made by a live starter is not taken over", async (t) => {
  const dir = tempDir('lock-clock');
  const lock = join(dir, 'daemon.starting');
  writeFileSync(lock, '');
  const made = statSync(lock);
  withClockMoved(t, 3000);
  t.notOk(takeSpawnLock(lock, dir, false), 'the lock is not taken (before: taken at once, a second daemon started)');
  t.same([statSync(lock).ino, statSync(lock).mtimeMs], [made.ino, made.mtimeMs], "the starter's lock stands");
  t.same(readdirSync(dir), ['daemon.starting'], 'and nothing else is left');
});

t.test("a store dir an hour ahead of the caller's clock: an empty lock left 3 s ago is taken over", async (t) => {
  const dir = tempDir('lock-clock');
  const lock = join(dir, 'daemon.starting');
  writeFileSync(lock, '');
  const threeAgo = new Date(Date.now() - 3000);
  utimesSync(lock, threeAgo, threeAgo);
  const made = statSync(lock).mtimeMs;
  withClockMoved(t, -3600_000);
  t.ok(takeSpawnLock(lock, dir, false), 'the lock is taken (before: not for an hour, every call built uncached)');
  t.not(statSync(lock).mtimeMs, made, 'made again (its inode may be the old one\'s)');
  t.same(readdirSync(dir), ['daemon.starting'], 'and nothing else is left');
});

t.test("a store dir on the caller's clock: an empty lock just made stands, and one 3 s old is taken over", async (t) => {
  const dir = tempDir('lock-clock');
  const lock = join(dir, 'daemon.starting');
  writeFileSync(lock, '');
  t.notOk(takeSpawnLock(lock, dir, false), 'just made: stands');
  const threeAgo = new Date(Date.now() - 3000);
  utimesSync(lock, threeAgo, threeAgo);
  t.ok(takeSpawnLock(lock, dir, false), '3 s old: taken');
  t.same(readdirSync(dir), ['daemon.starting'], 'and nothing else is left');
});
