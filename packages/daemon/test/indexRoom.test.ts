import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasRoom, isIndexFull } from '../src/indexFull.js';

// A daemon whose index failed a write for a full disk restarts once the disk has room (indexFull.ts):
// 64 MiB free, or a tenth of a smaller disk. The write it makes to check is at most 8 MiB, so a disk
// with 8 to 64 MiB free passed that write alone, and a restart into a disk that fills again at the
// first compaction cost every call its hits for 30 s, each time.

const MiB = 2 ** 20;

function tmpfs(t: Test, size: string): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'index-room-'));
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]).status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  t.teardown(() => {
    spawnSync('umount', ['-l', dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Leaves `left` bytes free on the file system of `dir` (fallocate: no bytes written through node). */
function fillTo(dir: string, left: number): void {
  const fs = statfsSync(dir);
  const fill = fs.bavail * fs.bsize - left;
  if (spawnSync('fallocate', ['-l', String(fill), join(dir, 'filler')]).status !== 0) throw new Error('fallocate failed');
}

const probe = tmpfs(t, '1m');
const canMount = probe !== undefined;

t.test('a 200 MiB disk needs 20 MiB free: with 15 MiB it has no room, though an 8 MiB write fits', { skip: !canMount && 'cannot mount a tmpfs here (needs root)' }, async (t) => {
  const dir = tmpfs(t, '200m')!;
  t.ok(hasRoom(dir), 'room while empty');
  fillTo(dir, 15 * MiB);
  t.notOk(hasRoom(dir), 'no room with 15 MiB free');
  t.same(readdirSync(dir), ['filler'], 'the write it checks with is gone');
  rmSync(join(dir, 'filler'));
  fillTo(dir, 30 * MiB);
  t.ok(hasRoom(dir), 'room with 30 MiB free');
  t.notOk(existsSync(join(dir, `room-probe.${process.pid}`)), 'and its write is gone then too');
});

// A quota's last bytes: write(2) takes what fits and says how much, and fails only the write after
// it. The check's one write of up to 8 MiB was taken as whole, so a quota with 1 MiB left had room,
// and the daemon restarted into an index that failed again at once. A file size limit (ulimit -f)
// cuts a write the same way, as an unprivileged test can set it.
t.test('a check write the file system takes only part of is no room', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'index-room-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  if (!hasRoom(dir)) {
    t.comment('skipped: the temp dir has no room for the check as it is');
    return;
  }
  const module = new URL('../src/indexFull.js', import.meta.url).href;
  // Its answer is what counts: under tap it ends with SIGXFSZ after it answered, whichever answer
  // (libuv writes on after a partial write, and that write is past the limit).
  const child = spawnSync('bash', ['-c', `ulimit -f 1024 && exec "${process.execPath}" --input-type=module -e "const { hasRoom } = await import(process.argv[1]); console.log(hasRoom(process.argv[2]))" "$0" "$1"`, module, dir], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH }, // none of tap's loaders
  });
  t.equal(child.stdout.trim(), 'false', `no room, under a limit of 1 MiB a file (${child.signal ?? child.status} ${child.stderr.trim()})`);
  t.same(readdirSync(dir), [], 'and its write is gone');
});

// A user's disk quota fails LevelDB's writes as a full disk does, and as lastingly: taken for some
// other IO error, the daemon never restarted, and stored nothing until it idled out.
t.test("LevelDB's failure for a full disk or an exceeded quota is an index full; others are not", async (t) => {
  const level = (message: string) => Object.assign(new Error(message), { code: 'LEVEL_IO_ERROR' });
  t.ok(isIndexFull(level('IO error: /s/index/000007.ldb: No space left on device')), 'no space');
  t.ok(isIndexFull(level('IO error: /s/index/000009.log: Disk quota exceeded')), 'a quota');
  t.notOk(isIndexFull(level('IO error: /s/index/000007.ldb: Permission denied')), 'refused access');
  t.notOk(isIndexFull(Object.assign(new Error('No space left on device'), { code: 'ENOSPC' })), "not LevelDB's own");
});
