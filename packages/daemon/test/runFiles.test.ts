import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runFiles } from '../src/runFiles.js';

// A run's id is the path of its files from the runs dir its caller read (runs moved off a full
// /dev/shm are named from the old dir). It goes in the `run` line, split at spaces: a path with one
// (a store dir `My Cache`) would split it, so such a run stays in the caller's dir (mutation N01
// named it all the same, and its caller read a wrong id).

t.test("a run in a new dir is named from the caller's, unless the path has a space", async (t) => {
  const top = mkdtempSync(join(tmpdir(), 'sc-runfiles-'));
  t.teardown(() => rmSync(top, { recursive: true, force: true }));
  const [old, plain, spaced] = ['shm', 'store/runs', 'My Cache/runs'].map((d) => join(top, d));
  for (const d of [old!, plain!, spaced!]) mkdirSync(d, { recursive: true });
  t.same(runFiles('7', old!, old!), { id: '7', stem: join(old!, '7') }, 'the same dir: its number');
  t.same(runFiles('7', plain!, old!), { id: '../store/runs/7', stem: join(plain!, '7') }, 'another: the path from the old');
  t.same(runFiles('7', spaced!, old!), { id: '7', stem: join(old!, '7') }, 'one with a space in its path: the run stays in the old');
  t.same(runFiles('7', plain!, join(top, 'gone')), { id: '7', stem: join(top, 'gone', '7') }, 'the old dir gone: there, as before');
});
