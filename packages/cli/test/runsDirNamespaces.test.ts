/**
 * /dev/shm shared by daemons that don't see each other's pids: containers of
 * one Kubernetes pod, `docker run --ipc=host` beside the host or another such
 * container. Each daemon keeps its exec-port runs in a directory of /dev/shm
 * (daemon/src/runsDir.ts), and removes those of daemons that are gone. Named by
 * uid and pid alone, a daemon in another pid namespace took this one for gone
 * and removed its directory (every call it carried then built uncached, with
 * one SPLITCACHE_EXEC_RUN line each), and two daemons of the same pid (the same
 * script in two containers) shared one. Other namespaces are made with
 * `unshare -p -f` (root), their daemons run as OTHER_UID, so that no directory
 * of another user of this machine is in play.
 */
import t from 'tap';
import type { Test } from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, OTHER_UID, otherUidCrate, otherUidDir, otherUidToolchain, printingCrate, printingCrateArgs, runOnPipes, splitcacheAsOtherUid, Store, twoSilentCallsAsOtherUid, waitFor } from './helpers.js';

const toolchain = await otherUidToolchain();
const unshare = toolchain !== undefined && spawnSync('unshare', ['-p', '-f', 'true']).status === 0;
const skip = !unshare && 'needs root, a uid with no passwd entry, a toolchain it can run, and unshare -p';

/** The runs dir a store's daemon named in exec.port, once it is there. */
async function runsDirOf(store: string): Promise<string> {
  const port = join(store, 'exec.port');
  await waitFor(() => existsSync(port), 20_000);
  return readFileSync(port, 'utf8').trim().split(' ')[2] ?? '';
}

/** A daemon for `store`, started as OTHER_UID in a new pid namespace, which lives until the test ends. */
function daemonInNamespace(t: Test, store: string): void {
  const env = { PATH: `${join(process.execPath, '..')}:/usr/bin:/bin`, SPLITCACHE_DIR: store, SPLITCACHE_IDLE_TIMEOUT: '60' };
  const u = String(OTHER_UID);
  const ns = spawn('unshare', ['-p', '-f', 'setpriv', `--reuid=${u}`, `--regid=${u}`, '--clear-groups', 'sh', '-c', '"$0" server start >/dev/null; exec sleep 60', BIN], { env, detached: true, stdio: 'ignore' });
  // The namespace's first process ending ends every process in it, its daemon too.
  t.teardown(() => {
    try {
      process.kill(-ns.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  });
}

t.test("a daemon started in another pid namespace leaves this daemon's runs dir alone, and its calls are cached", { skip }, async (t) => {
  const env = { TMPDIR: otherUidDir('tmp'), SPLITCACHE_DIR: join(otherUidDir('store'), 's') };
  t.teardown(() => void splitcacheAsOtherUid(['server', 'stop'], env));
  // Left by daemons of namespaces gone (containers stopped): one untouched for two days, one just now.
  const [stale, fresh] = ['/dev/shm/splitcache-4711-1-77', '/dev/shm/splitcache-4711-2-77'];
  for (const dir of [stale, fresh]) {
    mkdirSync(dir, { mode: 0o700 });
    chownSync(dir, OTHER_UID, OTHER_UID);
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  }
  const twoDaysAgo = new Date(Date.now() - 48 * 3600_000);
  utimesSync(stale, twoDaysAgo, twoDaysAgo);
  t.equal(splitcacheAsOtherUid(['server', 'start'], env).status, 0, 'this daemon starts');
  t.notOk(existsSync(stale), "another namespace's runs dir untouched for two days is removed");
  t.ok(existsSync(fresh), 'one touched just now is kept');
  const ours = await runsDirOf(env.SPLITCACHE_DIR);
  t.ok(existsSync(ours), `its runs dir is there (${ours})`);

  const theirs = join(otherUidDir('store'), 's');
  daemonInNamespace(t, theirs);
  const other = await runsDirOf(theirs);
  t.teardown(() => rmSync(other, { recursive: true, force: true })); // left by its daemon, killed with its namespace
  t.not(other, '', "the other namespace's daemon has started");
  t.ok(existsSync(ours), "this daemon's runs dir is still there");

  const cwd = otherUidCrate('one namespace');
  twoSilentCallsAsOtherUid(t, toolchain!, cwd, env);
  const s = JSON.parse(splitcacheAsOtherUid(['stats', '--json'], env).stdout || '{}') as { hits?: number; misses?: number };
  t.same([s.misses, s.hits], [1, 1], 'a miss stored, then a hit');
});

t.test('two daemons of the same pid in two pid namespaces: a runs dir each', { skip }, async (t) => {
  const stores = [join(otherUidDir('store'), 's'), join(otherUidDir('store'), 's')];
  for (const store of stores) daemonInNamespace(t, store);
  const dirs = await Promise.all(stores.map(runsDirOf));
  for (const dir of dirs) t.teardown(() => rmSync(dir, { recursive: true, force: true })); // left by the daemons, killed with their namespaces
  const pids = stores.map((s) => readFileSync(join(s, 'daemon.pid'), 'utf8').trim());
  t.comment(`pids ${pids.join(', ')}; runs dirs ${dirs.join(', ')}`);
  t.ok(dirs.every((d) => d !== ''), 'both daemons started');
  t.not(dirs[0], dirs[1], 'their runs dirs differ');
  t.ok(dirs.every((d) => existsSync(d)), 'and both are there');
});

t.test('a runs dir removed from under its daemon (an rm -rf /dev/shm/*, a clean-up by another daemon) is made again by the next call, which is cached', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  t.equal((await store.splitcache(['server', 'start'])).code, 0, 'the daemon starts');
  const runs = await runsDirOf(store.dir);
  rmSync(runs, { recursive: true, force: true });
  const cwd = printingCrate('runs dir removed');
  for (const which of ['first', 'second']) {
    const r = await runOnPipes(BIN, ['rustc', ...printingCrateArgs(cwd)], { cwd, env: store.env() });
    t.equal(r.code, 0, `the ${which} call succeeds`);
    t.equal(r.stderr, '', 'silently');
  }
  t.ok(existsSync(runs), 'the runs dir is there again');
  const s = await store.stats();
  t.same([s.misses, s.hits], [1, 1], 'a miss stored, then a hit');
});
