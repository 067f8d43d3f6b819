import t from 'tap';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, BIN, printingCrate, printingCrateArgs, runOnPipes, Store } from './helpers.js';

// docs/CONFIG.md: SPLITCACHE_LOG=debug puts everything in <dir>/daemon.log. Each
// call's outcome is there as it happens, with what `audit` later shows of it.

t.test("under SPLITCACHE_LOG=debug, daemon.log has each call's outcome: a miss, a hit, a pass-through with its reason", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const env = store.env({ SPLITCACHE_LOG: 'debug', SPLITCACHE_PRODUCER: 'debug-host' });
  const cwd = printingCrate('logged');
  const call = (extra: string[] = []) => {
    rmSync(join(cwd, 'out'), { recursive: true, force: true });
    mkdirSync(join(cwd, 'out'));
    return runOnPipes(BIN, ['rustc', ...printingCrateArgs(cwd), ...extra], { cwd, env });
  };
  assertOk(t, await call(), 'a miss');
  assertOk(t, await call(), 'a hit');
  assertOk(t, await call(['-C', `incremental=${join(cwd, 'inc')}`]), 'an incremental call, passed through');
  await store.audit(); // the daemon has logged every call once its audit log has them
  const calls = store.daemonLog().split('\n').filter((l) => / debug (miss|hit|passthrough|compile-error) /.test(l)).map((l) => l.replace(/^\S+ debug /, '').replace(/saved \d+ ms/, 'saved N ms'));
  t.same(calls, ['miss trial bin (new-key)', 'hit trial bin (local from debug-host, saved N ms)', 'passthrough trial bin (incremental)'], 'one line each, in order (a pass-through under its crate type)');
});

// The daemon's log level is its starter's: a build that set SPLITCACHE_LOG=debug to see why it
// missed, against a daemon already running, got an empty daemon.log.
t.test('a call with SPLITCACHE_LOG=debug makes a running daemon log its calls from then on', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const cwd = printingCrate('later');
  const call = (env: NodeJS.ProcessEnv) => runOnPipes(BIN, ['rustc', ...printingCrateArgs(cwd)], { cwd, env: store.env(env) });
  assertOk(t, await call({}), 'a call starts the daemon, at the default level');
  await store.audit();
  t.notMatch(store.daemonLog(), / debug /, 'which logs no call');
  t.notMatch((await store.splitcache(['server', 'status'])).stdout, /debug/, 'server status says nothing of debug lines');
  assertOk(t, await call({ SPLITCACHE_LOG: 'debug' }), 'a call with SPLITCACHE_LOG=debug');
  await store.audit();
  t.match(store.daemonLog(), / debug hit trial bin /, 'is logged');
  t.match((await store.splitcache(['server', 'status'])).stdout, /\nlogging debug lines to daemon\.log: a call with SPLITCACHE_LOG=debug asked for them, until the daemon stops\n/, 'and server status says the daemon logs debug lines now, and why');
});
