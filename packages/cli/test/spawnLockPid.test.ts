import t from 'tap';
import { readFileSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { takeSpawnLock, writeLockPid } from '../src/spawnLock.js';
import { tempDir } from './helpers.js';

// A starter writes its daemon's pid into the spawn lock it made. One held up between the two for
// over 2 s (preempted on a loaded machine) finds its empty lock taken over by a waiting call, which
// has written its own daemon's pid there: it must not write its own over that one.
t.test("a starter whose lock was taken over while it was held up writes its pid into its own lock only, not the taker's", async (t) => {
  const dir = tempDir('lock-pid');
  const lock = join(dir, 'daemon.starting');
  const mine = takeSpawnLock(lock, dir, false);
  t.ok(mine, 'the starter makes the lock');
  writeLockPid(lock, mine!, 4321);
  t.equal(readFileSync(lock, 'utf8'), '4321', 'and names its daemon in it while it is its own');

  const other = join(dir, 'other.starting');
  const held = takeSpawnLock(other, dir, false)!;
  const threeAgo = new Date(Date.now() - 3000);
  utimesSync(other, threeAgo, threeAgo); // made 3 s ago, still empty: its starter is held up
  const madeThen = statSync(other);
  const taken = takeSpawnLock(other, dir, false);
  t.ok(held && taken, 'a waiting call takes the empty lock over');
  writeLockPid(other, taken!, 1234567);
  writeLockPid(other, madeThen, 98765);
  t.equal(readFileSync(other, 'utf8'), '1234567', "the taker's pid stands (before: 9876567, a pid of no process, and each waiting call took the start for dead)");
});
