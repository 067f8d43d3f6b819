import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sweepDir } from '../src/staleTemps.js';

// A daemon killed in the middle of a replay leaves its temp copies beside the outputs; the next
// daemon's first replay into that dir removes them, and only them.

t.test("a replay's temp copies left by a process that is gone are removed; others are not", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'stale-temps-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const gone = spawnSync('true').pid!.toString(36); // ended: its pid names no process (until reused)
  const old = (Date.now() - 5 * 60_000) / 1000;
  // A live process of this machine's other than init: its pid is read in base 36, as replay.ts writes it
  // (read in base 10, `i3b` was NaN and `2s` 2, and a live writer's temp was taken for a gone one's).
  const live = spawn('sleep', ['60'], { stdio: 'ignore' });
  t.teardown(() => void live.kill());
  const live36 = live.pid!.toString(36);
  const names: Record<string, [kept: boolean, age?: 'young']> = {
    [`libtokio-835227e211690253.rlib.sc-replay-${gone}-ar-8rpbhbrz`]: [false],
    [`tokio_macros-1.cgu.3.rcgu.o.sc-replay-${gone}-b9-k`]: [false],
    [`libyoung.rlib.sc-replay-${gone}-1-abcdefgh`]: [true, 'young'], // being written by a daemon in another pid namespace, maybe
    [`libmine.rlib.sc-replay-${process.pid.toString(36)}-1-abcdefgh`]: [true], // this process's: a replay under way
    [`libother.rlib.sc-replay-1-2-abcdefgh`]: [true], // a live process's (init): another store's daemon
    [`liblive.rlib.sc-replay-${live36}-7-abcdefgh`]: [true], // another live process's, written a while ago
    'libtokio-835227e211690253.rlib': [true],
    'budget.sc-2024-q3-final': [true], // a user's file in an out dir of theirs (-o ~/bin/tool)
    [`notes.sc-replay-${gone}-1-toolongforrandom`]: [true],
    'x.sc-zz-1': [true],
  };
  for (const [n, [, age]] of Object.entries(names)) {
    writeFileSync(join(dir, n), 'x');
    if (age !== 'young') utimesSync(join(dir, n), old, old);
  }
  const asDir = `libdir.rlib.sc-replay-${gone}-3-abc`;
  mkdirSync(join(dir, asDir));
  utimesSync(join(dir, asDir), old, old);
  await sweepDir(dir);
  for (const [n, [kept]] of Object.entries(names)) t.equal(existsSync(join(dir, n)), kept, `${n}: ${kept ? 'kept' : 'removed'}`);
  t.ok(existsSync(join(dir, asDir)), 'a directory of that name is no temp copy: kept');
  t.equal(readdirSync(dir).length, 9);
});
