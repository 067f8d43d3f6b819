import t from 'tap';
import { spawnSync } from 'node:child_process';
import { rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, printingCrate, printingCrateArgs, run, Store, tmpfsDir } from './helpers.js';

// The store most often shares the target dir's disk: a result that would leave that disk with
// less than the room kept for builds (a twentieth of it, at most 1 GiB) is not stored, so the
// cache does not take the last of it from the build's own outputs (daemon/src/diskReserve.ts).
// Before, a build that fit on a disk without splitcache failed its final link with it (a
// hunting helper's repro: `ld terminated with signal 7 [Bus error]`, a 14.8 MiB disk).
const disk = tmpfsDir('reserve', 'size=8m');

t.test("a result that would leave the store's disk under its reserve is not stored, and said", { skip: !disk && 'cannot mount a size-limited tmpfs here (needs root)' }, async (t) => {
  t.teardown(() => void spawnSync('umount', ['-l', disk!]));
  const store = new Store(join(disk!, 'store'));
  t.teardown(() => store.stop());
  t.equal((await store.splitcache(['server', 'start'])).code, 0, 'the daemon starts');
  const cwd = printingCrate('reserved');
  const call = () => run(BIN, ['rustc', ...printingCrateArgs(cwd)], { cwd, env: store.env() });
  // 300 KiB left of 8 MiB: under the 409.6 KiB kept free, though the result would fit.
  const fs = statfsSync(disk!);
  const filler = join(disk!, 'filler');
  writeFileSync(filler, Buffer.alloc(fs.bavail * fs.bsize - 300 * 1024));
  const first = await call();
  t.equal(first.code, 0, 'the call builds');
  t.match(first.stderr, /^splitcache: SPLITCACHE_STORE_FULL: the store's disk has \d+(\.\d)? KiB free, and storing this result would leave less than the 409\.6 KiB kept free for builds \(this result is not stored; the build goes on\)$/m, `one line says why: ${first.stderr}`);
  t.ok(statfsSync(disk!).bavail * fs.bsize > 200 * 1024, 'and the room is still there');
  rmSync(filler);
  t.equal((await call()).code, 0, 'with room, the call builds');
  const hit = await call();
  t.equal(hit.code, 0);
  const s = await store.stats();
  t.same([s.hits, s.misses], [1, 2], 'and its result is stored, then hit');
  t.equal((await run(join(cwd, 'out', 'trial-t'), [])).stdout, 'reserved\n', 'its binary is right');
});
