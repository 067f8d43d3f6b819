import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, BIN, fileTree, run, Store, tempDir, waitFor } from './helpers.js';

// A store on a file system that hangs (frozen for a snapshot, an NFS hard mount whose server is
// gone): the daemon's writes there block in node's thread pool while its event loop runs on and
// tells each caller it is alive. `splitcache stats` and the build's summary waited out the whole
// hang (a helper: 150 s for a 150 s freeze, where plain cargo took 0.5 s). A write asked of a child
// process now tells: one that hasn't ended in 3 s makes the store taken for hung, and calls build
// uncached with one line until a write goes through again. Here the file system is an ext4 image,
// frozen with fsfreeze(8) for as long as the test needs; it needs root and a loop device.

const CRATE = {
  'Cargo.toml': '[package]\nname = "frozen"\nversion = "0.1.0"\nedition = "2021"\n',
  'src/main.rs': 'fn main() { println!("thawed or not"); }\n',
};

/** An ext4 file system on a loop device, mounted; undefined where that can't be done here. */
function ext4(): string | undefined {
  const dir = tempDir('frozen-fs');
  const image = join(dir, 'image');
  const mnt = join(dir, 'mnt');
  mkdirSync(mnt);
  const ok = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
  if (!ok('truncate', ['-s', '64M', image]) || !ok('mkfs.ext4', ['-q', image]) || !ok('mount', ['-o', 'loop', image, mnt])) return undefined;
  t.teardown(() => void spawnSync('umount', ['-l', mnt]));
  // A process of its own thaws and unmounts it in any case, should this one be killed while it is frozen.
  spawn('sh', ['-c', 'sleep 150; fsfreeze -u "$1"; umount -l "$1"', '_', mnt], { detached: true, stdio: 'ignore' }).unref();
  return mnt;
}

const mnt = process.getuid?.() === 0 ? ext4() : undefined;

t.test('a store whose file system takes no writes: builds go on uncached, the summary and stats answer', { skip: mnt ? false : 'needs root and a loop-mounted ext4', timeout: 140_000 }, async (t) => {
  const store = new Store(join(mnt!, 'store'));
  const ws = fileTree(CRATE, 'frozen');
  const freeze = (on: boolean) => spawnSync('fsfreeze', [on ? '-f' : '-u', mnt!]).status === 0;
  let frozen = false;
  t.teardown(async () => {
    if (frozen) freeze(false);
    await store.stop();
  });
  // Bounded: without the cut-off, a build waits as long as the file system stays frozen.
  const build = () => run('timeout', ['60', BIN, 'cargo', 'build'], { cwd: ws, env: store.env() });
  assertOk(t, await build(), 'the build that stores');
  assertOk(t, await run('cargo', ['clean', '-q'], { cwd: ws }));

  frozen = freeze(true);
  if (!frozen) {
    t.pass('fsfreeze refused here: nothing to show');
    return;
  }
  const hits = await build();
  assertOk(t, hits, 'a build of hits while the file system is frozen');
  t.match(hits.stderr, /^splitcache: 1 hit \(100 %\)/m, 'with its summary line');
  const stats = await store.splitcache(['stats', '--json']);
  t.equal(stats.code, 0, '`splitcache stats` answers');
  // Without a walk of the blobs: LevelDB's blocked writes hold node's thread pool, and the walk waited behind them.
  t.same(JSON.parse(stats.stdout || '{}').storeHung, true, 'and says the store takes no writes, its size not known');
  assertOk(t, await run('cargo', ['clean', '-q'], { cwd: ws }));
  // Seen once on a loaded machine: this build waited out its 60 s. What ran 30 s in is kept to tell why.
  let stuck = '';
  const look = setTimeout(() => (stuck = spawnSync('ps', ['-eo', 'pid,ppid,stat,wchan:24,args'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => /splitcache|rustc|main\.cjs|touch/.test(l)).join('\n')), 30_000);
  const uncached = await build();
  clearTimeout(look);
  assertOk(t, uncached, 'the next build');
  if (uncached.code !== 0) t.comment(`30 s in:\n${stuck}\ndaemon.log:\n${store.daemonLog(3000)}`);
  t.match(uncached.stderr, /^splitcache: SPLITCACHE_STORE_HUNG: the file system of the store .* takes no writes .*; building uncached until it does$/m, 'says the store takes no writes');
  t.match(uncached.stderr, /passed through: store-hung 1/, 'its summary counts the call built uncached');
  t.equal((await run(join(ws, 'target', 'debug', 'frozen'), [])).stdout, 'thawed or not\n', 'and its binary runs');
  t.ok(freeze(false), 'all of that while the file system stayed frozen');
  frozen = false;

  // Once a write goes through again, the store serves: the first call may still find it taken for hung.
  let back = false;
  for (let i = 0; i < 5 && !back; i++) {
    assertOk(t, await run('cargo', ['clean', '-q'], { cwd: ws }));
    back = /^splitcache: 1 hit /m.test((await build()).stderr);
    if (!back) await waitFor(() => false, 2_000);
  }
  t.ok(back, 'thawed, the store serves hits again');
  t.match(readFileSync(join(store.dir, 'daemon.log'), 'utf8'), /SPLITCACHE_STORE_HUNG: a write to .* did not end within 3 s[\s\S]*takes writes again/, 'the log says when it hung and when it came back');
});
