import t from 'tap';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseInvocation } from '@splitcache/rustc';
import { makeTempsDir, tempsDirUnmade } from '../src/tempsDirMade.js';

// The daemon makes a call's `-Z temps-dir` as a plain rustc does: the last one given, relative to
// the call's cwd, with the caller's umask (rustc's create_dir_all: 0777 less it), not the daemon's.

const call = (...z: string[]) => parseInvocation(['--crate-name', 'x', 'x.rs', '--crate-type', 'bin', '--emit=dep-info,link', '--out-dir', '/o', ...z]);

t.test("the last -Z temps-dir is made, under the caller's cwd, with the caller's umask", async (t) => {
  const cwd = mkdtempSync(join(tmpdir(), 'temps-made-'));
  t.teardown(() => rmSync(cwd, { recursive: true, force: true }));
  // The daemon's own umask stricter than the caller's: the caller's is what rustc's mkdir has.
  const own = process.umask(0o077);
  try {
    t.equal(tempsDirUnmade(call('-Ztemps-dir=first', '-Z', 'temps_dir=last/inner'), cwd, 0o002), undefined, 'it can be made');
    t.notOk(existsSync(join(cwd, 'last')), 'but the check makes nothing (a plain rustc that refuses the call makes none)');
    t.ok(makeTempsDir(call('-Ztemps-dir=first', '-Z', 'temps_dir=last/inner'), cwd, 0o775), 'made');
  } finally {
    process.umask(own);
  }
  t.equal(statSync(join(cwd, 'last', 'inner')).mode & 0o777, 0o775, "the dir rustc would make, with the caller's umask");
  t.equal(statSync(join(cwd, 'last')).mode & 0o777, 0o775, 'and its parent');
  t.equal(statSync(cwd).mode & 0o777, 0o700, 'a dir that was there is left as it was');
  t.throws(() => statSync(join(cwd, 'first')), 'not an earlier one, which rustc never reads');
  t.equal(tempsDirUnmade(call(), cwd, 0o022), undefined, 'a call without one needs nothing');
  t.ok(makeTempsDir(call(), cwd), 'and makes nothing');
});

t.test('a dir that cannot be made is said so', async (t) => {
  const cwd = mkdtempSync(join(tmpdir(), 'temps-unmade-'));
  t.teardown(() => rmSync(cwd, { recursive: true, force: true }));
  writeFileSync(join(cwd, 'a-file'), 'in the way\n');
  t.equal(tempsDirUnmade(call('-Ztemps-dir=a-file'), cwd, 0o022), 'temps-dir-unmade', 'a file where the dir goes');
  t.equal(tempsDirUnmade(call('-Ztemps-dir=a-file/under'), cwd, 0o022), 'temps-dir-unmade', 'a file on the way to it');
  symlinkSync(join(cwd, 'gone'), join(cwd, 'dangling'));
  t.equal(tempsDirUnmade(call('-Ztemps-dir=dangling/under'), cwd, 0o022), 'temps-dir-unmade', 'a dangling symlink on the way to it');
  t.notOk(makeTempsDir(call('-Ztemps-dir=a-file'), cwd), 'and making it fails');
  // A caller who is not root (whom no mode stops), in a dir it may write in: a umask that leaves it no write makes the dir unwritable.
  chmodSync(cwd, 0o777);
  const other = { uid: 4711, gid: 4711, groups: [] };
  t.equal(tempsDirUnmade(call('-Ztemps-dir=new'), cwd, 0o277, other), 'temps-dir-unwritable', 'one its umask (0277) would make with no write, for a call that writes code');
  t.equal(tempsDirUnmade(call('-Ztemps-dir=new'), cwd, 0o022, other), undefined, 'not under 022');
});
