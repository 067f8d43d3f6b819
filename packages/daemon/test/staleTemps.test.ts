import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sweepDir } from '../src/staleTemps.js';

// A daemon killed in the middle of a replay leaves its temp copies beside the outputs; the next
// daemon's first replay into that dir removes them, and only them.

t.test("a replay's temp copies left by a process that is gone are removed; others are not", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'stale-temps-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const gone = spawnSync('true').pid!; // ended: its pid names no process (until reused)
  const names = {
    [`libtokio-835227e211690253.rlib.sc-${gone.toString(36)}-ar-8rpbhbrz`]: false,
    [`tokio_macros-1.cgu.3.rcgu.o.sc-${gone.toString(36)}-b9-kluyam72`]: false,
    [`libmine.rlib.sc-${process.pid.toString(36)}-1-abcdefgh`]: true, // this process's: a replay under way
    [`libother.rlib.sc-${(1).toString(36)}-2-abcdefgh`]: true, // a live process's (init): another store's daemon
    'libtokio-835227e211690253.rlib': true,
    'notes.sc-backup': true,
    'x.sc-zz-1': true,
  };
  for (const n of Object.keys(names)) writeFileSync(join(dir, n), 'x');
  await sweepDir(dir);
  for (const [n, kept] of Object.entries(names)) t.equal(existsSync(join(dir, n)), kept, `${n}: ${kept ? 'kept' : 'removed'}`);
  t.equal(readdirSync(dir).length, 5);
});
