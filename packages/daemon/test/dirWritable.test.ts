import t from 'tap';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credsOfStatus, modeAllows, writableBy } from '../src/dirWritable.js';

// Whether a caller may make files in a dir, judged with the caller's own uid, gid and groups
// (a shell after `sg` has other groups than the client that started the daemon).

const status = (groups: string) => `Name:\tbash\nUmask:\t0022\nUid:\t4711\t4711\t4711\t4713\nGid:\t4711\t4711\t4711\t4714\nFDSize:\t64\nGroups:\t${groups}\nNStgid:\t99\n`;

t.test("a caller's credentials from its /proc status: the file-system ids and the supplementary groups", async (t) => {
  t.same(credsOfStatus(status('4712 27 ')), { uid: 4713, gid: 4714, groups: [4712, 27] }, 'groups listed');
  t.same(credsOfStatus(status('')), { uid: 4713, gid: 4714, groups: [] }, 'no groups: an empty line, not the line after it');
  t.equal(credsOfStatus('Name:\tbash\n'), undefined, 'no ids: unknown');
});

t.test('mode bits: one class decides, root passes', async (t) => {
  const dir = { uid: 0, gid: 4712, mode: 0o40770 };
  t.ok(modeAllows(dir, { uid: 4711, gid: 4711, groups: [4712] }), 'a member of its group');
  t.ok(modeAllows(dir, { uid: 4711, gid: 4712, groups: [] }), 'its group as the primary one');
  t.notOk(modeAllows(dir, { uid: 4711, gid: 4711, groups: [] }), 'another user of no such group');
  t.ok(modeAllows(dir, { uid: 0, gid: 0, groups: [] }), 'root');
  t.notOk(modeAllows({ uid: 4711, gid: 4712, mode: 0o40570 }, { uid: 4711, gid: 4711, groups: [4712] }), "its owner by the owner's bits alone, though its group may write");
  t.notOk(modeAllows({ uid: 0, gid: 4712, mode: 0o40760 }, { uid: 4711, gid: 4711, groups: [4712] }), 'write without search is not enough');
});

const asRoot = process.getuid?.() === 0;
const python = spawnSync('python3', ['--version']).status === 0;

t.test("a dir with an ACL, for a caller of other groups than the daemon's: not writable, rustc decides", { skip: !(asRoot && python) && 'needs root and python3 (setxattr)' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dir-acl-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  chownSync(dir, 0, 4712);
  chmodSync(dir, 0o770);
  const caller = { uid: 4711, gid: 4711, groups: [4712] };
  t.ok(writableBy(dir, caller), 'root:4712 0770, for a member of 4712');
  t.notOk(writableBy(dir, { uid: 4711, gid: 4711, groups: [] }), 'not for another user of no such group');
  // user::rwx user:4711:r-x group::rwx mask::rwx other::--- : the named entry for 4711 comes before its groups.
  const acl = `import os,struct\ne=[(1,7,-1),(2,5,4711),(4,7,-1),(16,7,-1),(32,0,-1)]\nos.setxattr(${JSON.stringify(dir)},'system.posix_acl_access',struct.pack('<I',2)+b''.join(struct.pack('<HHI',a,b,c & 0xffffffff) for a,b,c in e))`;
  const set = spawnSync('python3', ['-c', acl], { encoding: 'utf8' });
  if (set.status !== 0) return void t.pass(`no ACL on this file system: ${set.stderr.trim()}`);
  t.equal(spawnSync('setpriv', ['--reuid=4711', '--regid=4711', '--groups=4712', '--', 'test', '-w', dir]).status, 1, 'the kernel refuses that caller (the ACL names it)');
  t.notOk(writableBy(dir, caller), 'and so does the check, where the mode bits alone say yes');
  t.ok(writableBy(dir, undefined), "the daemon's own credentials still ask access(2) (root)");
});

// The daemon's access(2) says EACCES (a uid outside the dir's group) where the caller's groups
// pass the mode bits: a read-only mount then refuses the caller's write all the same, and the
// daemon's EACCES hid it. Run as a daemon of uid 4711 with no groups, for a caller in 4712.
const mounts = asRoot && spawnSync('mount', ['--version']).status === 0;

t.test('a dir on a read-only bind mount, for a caller of other groups than the daemon: not writable', { skip: !mounts && 'needs root and mount' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dir-ro-'));
  chmodSync(dir, 0o755);
  const src = join(dir, 'src');
  const point = join(dir, 'ro');
  for (const d of [src, point]) mkdirSync(d);
  chownSync(src, 0, 4712);
  chmodSync(src, 0o770);
  t.equal(spawnSync('mount', ['--bind', src, point]).status, 0, 'bound');
  t.teardown(() => {
    spawnSync('umount', ['-l', point]);
    rmSync(dir, { recursive: true, force: true });
  });
  t.equal(spawnSync('mount', ['-o', 'remount,ro,bind', point]).status, 0, 'made read-only');
  const caller = { uid: 4711, gid: 4711, groups: [4712] };
  const module = new URL('../src/dirWritable.js', import.meta.url).href;
  const script = `import(${JSON.stringify(module)}).then((m) => process.stdout.write(JSON.stringify([${JSON.stringify(src)}, ${JSON.stringify(point)}].map((d) => m.writableBy(d, ${JSON.stringify(caller)})))))`;
  // node drops the supplementary groups as it sets the uid: the daemon is in none.
  const r = spawnSync(process.execPath, ['-e', script], { uid: 4711, gid: 4711, encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  t.same(JSON.parse(r.stdout || 'null'), [true, false], 'the dir itself writable for that caller, its read-only mount not');
  t.equal(spawnSync('setpriv', ['--reuid=4711', '--regid=4711', '--groups=4712', '--', 'test', '-w', point]).status, 1, 'as the kernel says');
});
