import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { assertOk, BIN, printingCrate, printingCrateArgs, runOnPipes, Store, tempDir, waitFor } from './helpers.js';

// A CI cache restored over a store whose daemon still runs: a self-hosted runner keeps the last
// job's daemon (its idle timeout is 10 minutes), and the cache step unpacks the saved store over
// the same dir (`tar xzf`, as actions/cache and GitLab's cache: do). tar replaces the index's
// files (CURRENT, LOCK, the log) with the saved ones; the daemon went on with the index it
// opened, so the restored entries were never looked up, and LevelDB deleted the restored
// index's files as obsolete ones of its own. The daemon must see its index replaced and
// stop, so the next call opens the restored one (storeHome.ts).

t.test("a store restored over a running daemon's: the daemon stops, and the restored entries hit", async (t) => {
  const saved = new Store();
  const restored = new Store();
  t.teardown(() => restored.stop());
  const crate = printingCrate('saved in a CI cache');
  const call = (store: Store, cwd: string, producer: string) => {
    rmSync(join(cwd, 'out'), { recursive: true, force: true });
    mkdirSync(join(cwd, 'out'));
    return runOnPipes(BIN, ['rustc', ...printingCrateArgs(cwd)], { cwd, env: store.env({ SPLITCACHE_PRODUCER: producer }) });
  };
  assertOk(t, await call(saved, crate, 'saver'), 'the saving job stores the crate');
  await saved.stop();
  const tarball = join(tempDir('ci-cache'), 'cache.tgz');
  t.equal(spawnSync('tar', ['czf', tarball, '-C', dirname(saved.dir), basename(saved.dir)]).status, 0, 'the store is saved with tar');

  // This runner's store, of another job, its daemon still running.
  const own = printingCrate('built by the last job on this runner');
  assertOk(t, await call(restored, own, 'runner'), "the runner's last job stores a crate of its own");
  const daemon = restored.daemonPid();
  t.equal(spawnSync('tar', ['xzf', tarball, '-C', restored.dir, '--strip-components=1']).status, 0, 'the saved store is restored over it');

  for (let i = 0; i < 3; i++) assertOk(t, await call(restored, crate, 'runner'), `the restored crate builds (call ${i + 1})`);
  const outcomes = (await restored.audit()).filter((e) => e.crate === 'trial').map((e) => `${e.outcome}${e.producer ? ` from ${e.producer}` : ''}`);
  t.ok(await waitFor(() => !existsSync(`/proc/${daemon}`), 10_000), 'the daemon that ran when the store was restored stops');
  t.equal(outcomes.at(-1), 'hit from saver', `the last call hits the restored entry (calls: ${outcomes.join(', ')})`);
  await restored.stop();
  assertOk(t, await call(restored, crate, 'runner'), 'after a restart, the crate builds');
  const last = (await restored.audit()).filter((e) => e.crate === 'trial').at(-1);
  t.equal(`${last?.outcome} from ${last?.producer}`, 'hit from saver', "and hits the restored entry: the restored index is the store's");
});
