import t, { type Test } from 'tap';
import { mkdtempSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installStamp } from '../src/installStamp.js';

// An upgrade in place rewrites the daemon's entry file. A one-character fix rebuilt (`npm run
// build`) writes a bundle of the same size into the same inode: only its times tell it from the
// one the daemon started from, and a daemon that missed it served the old code until it idled out.

function entry(t: Test, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'install-stamp-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'main.cjs');
  writeFileSync(file, text);
  // An hour back, so that a rewrite within the file system's time granularity still shows.
  const past = new Date(Date.now() - 3600_000);
  utimesSync(file, past, past);
  return file;
}

t.test('unchanged: not taken for changed', async (t) => {
  const file = entry(t, 'const limit = 60_000;\n');
  const stamp = installStamp(file);
  t.ok(stamp.foundAtStart);
  t.notOk(stamp.changed());
});

t.test('rewritten in place at the same size: changed', async (t) => {
  const file = entry(t, 'const limit = 60_000;\n');
  const stamp = installStamp(file);
  writeFileSync(file, 'const limit = 90_000;\n');
  t.ok(stamp.changed(), 'a same-size rewrite of the same inode is an upgrade');
});

t.test('replaced by rename, or removed: changed', async (t) => {
  const file = entry(t, 'a\n');
  const stamp = installStamp(file);
  writeFileSync(`${file}.new`, 'a\n');
  renameSync(`${file}.new`, file);
  t.ok(stamp.changed(), 'another file at the path');
  const gone = entry(t, 'b\n');
  const stamp2 = installStamp(gone);
  rmSync(gone);
  t.ok(stamp2.changed(), 'no file at the path');
});

t.test('an entry file missing at start is never taken for changed', async (t) => {
  const stamp = installStamp(join(tmpdir(), 'no-such-dir-h172', 'main.cjs'));
  t.notOk(stamp.foundAtStart);
  t.notOk(stamp.changed());
  t.notOk(installStamp(undefined).changed(), 'nor none named');
});
