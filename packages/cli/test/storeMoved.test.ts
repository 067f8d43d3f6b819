import t from 'tap';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, BIN, printingCrate, printingCrateArgs, runOnPipes, Store, tempDir, waitFor } from './helpers.js';

// A store moved while its daemon runs (`mv ~/.cache/splitcache /big/disk/…`,
// SPLITCACHE_DIR set to the new place) still has its socket and exec.port,
// which lead to the old daemon; that daemon must not go on by the old path
// (storeHome.ts).

t.test('a store moved while its daemon runs: one call builds uncached, the daemon stops, the next call hits the moved entry', async (t) => {
  const parent = tempDir('moved');
  const [before, after] = [join(parent, 'before'), join(parent, 'after')];
  const old = new Store(before);
  const moved = new Store(after);
  t.teardown(() => moved.stop());
  const cwd = printingCrate('moved with its store');
  const call = (store: Store) => {
    rmSync(join(cwd, 'out'), { recursive: true, force: true });
    mkdirSync(join(cwd, 'out'));
    return runOnPipes(BIN, ['rustc', ...printingCrateArgs(cwd)], { cwd, env: store.env() });
  };
  assertOk(t, await call(old), 'a first call stores the crate');
  const oldDaemon = old.daemonPid();

  renameSync(before, after);
  const first = await call(moved);
  assertOk(t, first, 'the first call after the move builds');
  t.match(first.stderr, /SPLITCACHE_STORE_IO: the store .*\/before was moved or removed while its daemon ran \(building uncached/, 'uncached, with one line saying why');
  t.ok(await waitFor(() => !existsSync(`/proc/${oldDaemon}`), 10_000), 'the old daemon stops');

  assertOk(t, await call(moved), 'the next call builds');
  t.same((await moved.calls()).map((e) => e.outcome), ['miss', 'hit'], 'and hits the entry the store was moved with');
  t.notOk(existsSync(before), 'nothing was made again at the old path');
});
