import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, BIN, printingCrate, printingCrateArgs, run, runOnPipes, Store, tempDir } from './helpers.js';

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
  t.match(told.stderr, /other settings than this build for SPLITCACHE_REMAP, SPLITCACHE_MAX_SIZE; run `splitcache server stop`/, 'naming them');
  t.notMatch((await call(bigger)).stderr, STALE, 'the next call of that build is not told again');

  const status = await run(BIN, ['server', 'status'], { env: store.env(bigger) });
  t.match(status.stdout, /settings that differ from this shell's: SPLITCACHE_REMAP, SPLITCACHE_MAX_SIZE \(/, 'server status lists them');
  t.notMatch((await store.splitcache(['server', 'status'])).stdout, /differ/, 'and nothing for a shell with the daemon\'s own');
  // `stats` showed the daemon's limit (`of 10.0 GiB`) to a shell that set another, with no word.
  const stats = await run(BIN, ['stats'], { env: store.env(bigger) });
  t.match(stats.stdout, /\nsettings that differ from this shell's: SPLITCACHE_REMAP, SPLITCACHE_MAX_SIZE \(`splitcache server stop` applies them\)\n$/, 'so does stats');
  t.notMatch((await store.splitcache(['stats'])).stdout, /differ/, 'and nothing for a shell with the daemon\'s own');

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

// The line is of the call's own settings: a build that set SPLITCACHE_LOG=loud against a running
// daemon was told nothing, and one that had dropped the daemon starter's bad SPLITCACHE_MAX_SIZE
// was told of it every minute.
t.test("the settings named unusable are the call's own, not those the running daemon started with", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const crate = printingCrate('own settings');
  const call = (env: NodeJS.ProcessEnv) => run(BIN, [rustc, ...printingCrateArgs(crate)], { cwd: crate, env: store.env(env) });
  assertOk(t, await call({ SPLITCACHE_MAX_SIZE: '20 gigs' }), 'a call with a bad size starts the daemon');
  await new Promise((r) => setTimeout(r, 100));
  const dropped = await call({});
  assertOk(t, dropped, 'a call without it');
  t.notMatch(dropped.stderr, /SPLITCACHE_CONFIG:/, "is not told of the starter's setting");
  const other = store.env({ SPLITCACHE_LOG: 'loud' });
  const loud = await run(BIN, [rustc, ...printingCrateArgs(crate)], { cwd: crate, env: other });
  assertOk(t, loud, 'a call with a log level no one knows');
  t.match(loud.stderr, /^splitcache: SPLITCACHE_CONFIG: SPLITCACHE_LOG must be warn, quiet or debug, not "loud"; using warn$/m, 'is told of its own');
  // SPLITCACHE_CLIENT is read by bin/splitcache, which took the exec port for `bash` with no word.
  const bash = await runOnPipes(BIN, [rustc, ...printingCrateArgs(crate)], { cwd: crate, env: store.env({ SPLITCACHE_CLIENT: 'bash' }) });
  assertOk(t, bash, 'a call with a client no one knows, through the exec port');
  t.match(bash.stderr, /^splitcache: SPLITCACHE_CONFIG: SPLITCACHE_CLIENT must be node, not "bash"; using the exec port where it can$/m, 'is told so');
});

// cargo runs rustc in each crate's own directory (a registry crate's, each
// workspace member's): a relative SPLITCACHE_DIR, taken as it stands, made a
// store and a daemon in every one of them (37 for the tokio workspace). It is
// a setting the daemon can't use: the default store serves, and the line says so.
t.test('a relative SPLITCACHE_DIR is named and the default store used, not a store in each crate', async (t) => {
  const home = tempDir('home');
  const store = new Store(join(home, '.cache', 'splitcache'));
  t.teardown(() => store.stop());
  const env: NodeJS.ProcessEnv = { ...store.env(), HOME: home, SPLITCACHE_DIR: 'rel-store' };
  delete env.XDG_CACHE_HOME;
  const crate = printingCrate('relative');
  const call = () => run(BIN, [rustc, ...printingCrateArgs(crate)], { cwd: crate, env });

  const first = await call();
  assertOk(t, first, 'the call builds');
  t.match(first.stderr, `splitcache: SPLITCACHE_CONFIG: SPLITCACHE_DIR must be an absolute path, not "rel-store"; using ${store.dir}\n`, 'naming the setting and the store used');
  // On pipes, as cargo gives them, the second call goes to the running daemon's exec port.
  const log = join(tempDir('timing'), 'calls.jsonl');
  assertOk(t, await runOnPipes(BIN, [rustc, ...printingCrateArgs(crate)], { cwd: crate, env: { ...env, SPLITCACHE_TIMING_LOG: log } }), 'a second call builds');
  t.match(readFileSync(log, 'utf8'), /"client":"exec"/, 'through the exec port of the default store');
  t.notOk(existsSync(join(crate, 'rel-store')), 'no store in the crate\'s directory');
  const stats = await store.stats();
  t.same([stats.misses, stats.hits], [1, 1], 'both calls went to the default store: a miss, then a hit');
});

// The proxy the remote is reached through is the daemon's from its start as well: a build that
// set another since got 0 remote hits, and nothing said why; one that is no URL turned the
// remote off with a word in daemon.log alone (a hunting helper's findings).
t.test('a remote with proxy settings: another proxy is told as stale, one that is no URL as a config fault', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const crate = printingCrate('proxied');
  const remote = { SPLITCACHE_REMOTE: 'http://127.0.0.1:9/' };
  const call = (env: NodeJS.ProcessEnv) => run(BIN, [rustc, ...printingCrateArgs(crate)], { cwd: crate, env: store.env({ ...remote, ...env }) });
  const first = await call({ HTTP_PROXY: 'http://[garbage' });
  assertOk(t, first, 'a call with a proxy that is no URL builds');
  await call({ HTTP_PROXY: 'http://[garbage' });
  const said = first.stderr + (await call({ HTTP_PROXY: 'http://[garbage' })).stderr;
  t.match(said, /SPLITCACHE_CONFIG: cannot load the remote tier \(SPLITCACHE_CONFIG: HTTP_PROXY="http:\/\/\[garbage" is not an http\(s\) proxy URL, so the remote is not used\); this daemon has no remote until it stops/, 'a line names the variable');
  await store.stop();
  assertOk(t, await call({ HTTP_PROXY: 'http://127.0.0.1:1' }), 'a daemon started with one proxy');
  const other = await call({ HTTP_PROXY: 'http://127.0.0.1:2' });
  t.match(other.stderr, /SPLITCACHE_CONFIG_STALE: the running daemon has other settings than this build for HTTP_PROXY;/, 'a build with another is told so');
  t.notMatch((await call({ HTTP_PROXY: 'http://127.0.0.1:1', NO_PROXY: '' })).stderr, STALE, 'one with the same is not');
});

t.test("a remote over TLS: CA certificates the running daemon lacks are told as stale; for an http remote they are no setting", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const crate = printingCrate('with a CA');
  const ca = join(tempDir('ca'), 'ca.pem');
  writeFileSync(ca, '');
  const call = (env: NodeJS.ProcessEnv) => run(BIN, [rustc, ...printingCrateArgs(crate)], { cwd: crate, env: store.env({ SPLITCACHE_REMOTE_TIMEOUT: '1', ...env }) });
  const https = { SPLITCACHE_REMOTE: 'https://127.0.0.1:9/' };
  assertOk(t, await call(https), 'a daemon started by a build without NODE_EXTRA_CA_CERTS');
  t.match((await call({ ...https, NODE_EXTRA_CA_CERTS: ca })).stderr, /SPLITCACHE_CONFIG_STALE: the running daemon has other settings than this build for NODE_EXTRA_CA_CERTS;/, 'a build that sets them is told so');
  await store.stop();
  const http = { SPLITCACHE_REMOTE: 'http://127.0.0.1:9/' };
  assertOk(t, await call(http), 'an http remote');
  t.notMatch((await call({ ...http, NODE_EXTRA_CA_CERTS: ca })).stderr, STALE, 'is not stale for them: its daemon speaks no TLS');
});
