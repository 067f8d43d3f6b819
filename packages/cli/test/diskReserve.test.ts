import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { inodesHint } from '@splitcache/store';
import { join } from 'node:path';
import { BIN, printingCrate, printingCrateArgs, run, Store, tmpfsDir } from './helpers.js';

// The store most often shares the target dir's disk: a result that would leave that disk with
// less than the room kept for builds (a twentieth of it, at most 1 GiB) is not stored, so the
// cache does not take the last of it from the build's own outputs (daemon/src/diskReserve.ts).
// Before, a build that fit on a disk without splitcache failed its final link with it (a
// hunting helper's repro: `ld terminated with signal 7 [Bus error]`, a 14.8 MiB disk).
const disk = tmpfsDir('reserve', 'size=8m');

/** A store on the mounted `dir`, its daemon started (both gone at the test's end), and a call of a crate printing `text`. */
async function storeOn(t: Test, dir: string, text: string) {
  t.teardown(() => void spawnSync('umount', ['-l', dir]));
  const store = new Store(join(dir, 'store'));
  t.teardown(() => store.stop());
  t.equal((await store.splitcache(['server', 'start'])).code, 0, 'the daemon starts');
  const cwd = printingCrate(text);
  return { store, cwd, call: () => run(BIN, ['rustc', ...printingCrateArgs(cwd)], { cwd, env: store.env() }) };
}

t.test("a result that would leave the store's disk under its reserve is not stored, and said", { skip: !disk && 'cannot mount a size-limited tmpfs here (needs root)' }, async (t) => {
  const { store, cwd, call } = await storeOn(t, disk!, 'reserved');
  // 300 KiB left of 8 MiB: under the 409.6 KiB kept free, though the result would fit.
  const fs = statfsSync(disk!);
  const filler = join(disk!, 'filler');
  writeFileSync(filler, Buffer.alloc(fs.bavail * fs.bsize - 300 * 1024));
  const first = await call();
  t.equal(first.code, 0, 'the call builds');
  t.match(first.stderr, /^splitcache: SPLITCACHE_STORE_FULL: the store's disk has \d+(\.\d)? KiB free, and storing this result would leave less than the 409\.6 KiB kept free for builds \(the result of \S+ is not stored; the build goes on\)$/m, `one line says why: ${first.stderr}`);
  t.ok(statfsSync(disk!).bavail * fs.bsize > 200 * 1024, 'and the room is still there');
  rmSync(filler);
  t.equal((await call()).code, 0, 'with room, the call builds');
  const hit = await call();
  t.equal(hit.code, 0);
  const s = await store.stats();
  t.same([s.hits, s.misses], [1, 2], 'and its result is stored, then hit');
  t.equal((await run(join(cwd, 'out', 'trial-t'), [])).stdout, 'reserved\n', 'its binary is right');
});

// The same for inodes: a store on a disk made with few of them (a small image, `mkfs -N`) took the
// last, and each result after failed with ENOSPC, said to be a full disk where `df -h` showed room
// (a hunting helper's repro: 304 inodes, 250 MB free).
const few = tmpfsDir('inodes', 'size=64m,nr_inodes=400');

t.test("a result that would leave the store's disk under its reserve of inodes is not stored, and said", { skip: !few && 'cannot mount a tmpfs here (needs root)' }, async (t) => {
  const { store, call } = await storeOn(t, few!, 'inodes');
  // Files until 12 inodes are left of 400: under the 20 kept free, with 60 MB of room.
  const fillers = join(few!, 'fillers');
  mkdirSync(fillers);
  for (let i = 0; statfsSync(few!).ffree > 12; i++) writeFileSync(join(fillers, String(i)), '');
  const first = await call();
  t.equal(first.code, 0, 'the call builds');
  t.match(first.stderr, /^splitcache: SPLITCACHE_STORE_FULL: the store's disk has 1[0-2] inodes free \(df -i\), and storing this result would leave less than the 20 kept free for builds \(the result of \S+ is not stored; the build goes on\)$/m, `one line says why: ${first.stderr}`);
  t.ok(statfsSync(few!).ffree >= 10, 'and the inodes are still there');
  // Taken to the last by someone else, a write's ENOSPC says what ran out.
  for (let i = 0; statfsSync(few!).ffree > 0; i++) writeFileSync(join(fillers, `last-${i}`), '');
  t.equal(inodesHint(store.dir), ' (no inodes left on its disk: df -i)', 'a full disk of inodes is told apart');
  t.equal(inodesHint(disk ?? '/'), '', 'from one with inodes to spare');
  rmSync(fillers, { recursive: true });
  t.equal((await call()).code, 0, 'with inodes, the call builds');
  t.equal((await call()).code, 0);
  const s = await store.stats();
  t.same([s.hits, s.misses], [1, 2], 'and its result is stored, then hit');
});
