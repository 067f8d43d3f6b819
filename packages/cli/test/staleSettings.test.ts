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
