import t from 'tap';
import { execFileSync } from 'node:child_process';
import { assertOk, BIN, printingCrate, printingCrateArgs, run, Store } from './helpers.js';

// The daemon keeps the SPLITCACHE_* settings of the client that started it.
// A build whose shell has others since (a remote, a size limit) would not get
// them, and nothing would say so: now one line says which, once a minute, and
// `splitcache server status` lists them.
const rustc = execFileSync('rustc', ['--print', 'sysroot'], { encoding: 'utf8' }).trim() + '/bin/rustc';
const STALE = /SPLITCACHE_CONFIG_STALE/g;

t.test('a call with settings the running daemon lacks is told which, once, until the daemon restarts', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const crate = printingCrate('stale');
  const call = (env: NodeJS.ProcessEnv = {}) => run(BIN, [rustc, ...printingCrateArgs(crate)], { cwd: crate, env: store.env(env) });

  const first = await call();
  assertOk(t, first, 'a call starts the daemon');
  t.notMatch(first.stderr, STALE, 'with its own settings: nothing to say');
  const same = await call({ SPLITCACHE_SESSION: 'other', SPLITCACHE_LOG: 'warn' });
  t.notMatch(same.stderr, STALE, 'per-call variables differ: nothing to say');

  const bigger = { SPLITCACHE_MAX_SIZE: '1G', SPLITCACHE_REMAP: '1' };
  const told = await call(bigger);
  assertOk(t, told, 'a call with other settings still builds');
  t.equal(told.stderr.match(STALE)?.length, 1, 'and says so in one line');
  t.match(told.stderr, /other settings than this build for SPLITCACHE_REMAP, SPLITCACHE_MAX_SIZE, SPLITCACHE_MAX_ENTRY_SIZE; run `splitcache server stop`/, 'naming them');
  t.notMatch((await call(bigger)).stderr, STALE, 'the next call of that build is not told again');

  const status = await run(BIN, ['server', 'status'], { env: store.env(bigger) });
  t.match(status.stdout, /settings that differ from this shell's: SPLITCACHE_REMAP, SPLITCACHE_MAX_SIZE, SPLITCACHE_MAX_ENTRY_SIZE/, 'server status lists them');
  t.notMatch((await store.splitcache(['server', 'status'])).stdout, /differ/, 'and nothing for a shell with the daemon\'s own');

  await store.stop();
  const restarted = await call(bigger);
  assertOk(t, restarted, 'after server stop, a call starts a daemon with its settings');
  t.notMatch(restarted.stderr, STALE, 'and is told nothing');
});

// A setting the daemon can't use (a size it can't read, a log level it doesn't
// know) takes its default; one line names it to the build, once a minute, and
// `splitcache server status` and `stats` show it. The cache stays on.
t.test('a setting the daemon cannot use is named, and its default used', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const crate = printingCrate('unusable');
  const bad = { SPLITCACHE_MAX_SIZE: '20 gigs' };
  const call = () => run(BIN, [rustc, ...printingCrateArgs(crate)], { cwd: crate, env: store.env(bad) });
  const LINE = /^splitcache: SPLITCACHE_CONFIG: SPLITCACHE_MAX_SIZE is not a size such as 10G or 500M \(0: no limit\): "20 gigs"; using 10G$/m;

  const first = await call();
  assertOk(t, first, 'the call builds');
  t.match(first.stderr, LINE, 'and names the setting, its value and the default used');
  t.equal(first.stderr.match(/SPLITCACHE_CONFIG/g)?.length, 1, 'in one line');
  const again = await call();
  t.notMatch(again.stderr, /SPLITCACHE_CONFIG/, 'the next call, within the minute, is not told again');
  const stats = await store.stats();
  t.same([stats.misses, stats.hits, stats.passthrough], [1, 1, {}], 'cached as ever: a miss, then a hit');
  t.equal(stats.errors.SPLITCACHE_CONFIG, 1, 'counted once, among the errors');
  t.equal(stats.usage.maxBytes, 10 * 2 ** 30, 'with the default size limit');

  const status = await run(BIN, ['server', 'status'], { env: store.env(bad) });
  t.match(status.stdout, /^setting not used: SPLITCACHE_MAX_SIZE is not a size .*; using 10G$/m, 'server status names it');
  t.match(store.daemonLog(), /SPLITCACHE_CONFIG: SPLITCACHE_MAX_SIZE/, 'and so does daemon.log');
});
