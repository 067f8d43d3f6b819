import t from 'tap';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { startFailedPaths } from '@splitcache/daemon/protocol';
import { copyInstall, DAEMON_MAIN, printingCrate as crate, printingCrateArgs as args, run, Store } from './helpers.js';

// An install whose node_modules is gone: node's report of the daemon's uncaught error quoted the
// bundle's line it came from, ~180 KB of minified code in daemon.log per start, where the call's
// line sends the user (an error-message audit's find).
t.test("a daemon whose modules can't be loaded: daemon.log has the error in a few lines", async (t) => {
  const { bin, daemonMain } = copyInstall(readFileSync(DAEMON_MAIN, 'utf8'));
  copyFileSync(join(dirname(DAEMON_MAIN), 'daemon.cjs'), join(dirname(daemonMain), 'daemon.cjs'));
  const store = new Store();
  t.teardown(() => rmSync(startFailedPaths(store.dir)[0], { force: true }));
  const cwd = crate('no modules');
  const r = await run(bin, ['rustc', ...args(cwd)], { cwd, env: store.env() });
  t.equal(r.code, 0, 'the call builds');
  t.match(r.stderr, /SPLITCACHE_DAEMON_UNREACHABLE: the daemon failed to start: exited with code 1 before it listened \(see \S+daemon\.log\)/, 'and says where to look');
  const log = readFileSync(join(store.dir, 'daemon.log'), 'utf8');
  t.match(log, /Cannot find module/, 'daemon.log names what is missing');
  t.ok(log.length < 10_000 && log.split('\n').every((l) => l.length < 1000), `in short lines (${log.length} bytes; before: a line of the bundle, ~180 KB)`);
  // A bundle cut short: its syntax error quoted the line too, through vm's own report (a review's find).
  const bundle = readFileSync(join(dirname(DAEMON_MAIN), 'daemon.cjs'), 'utf8');
  writeFileSync(join(dirname(daemonMain), 'daemon.cjs'), bundle.slice(0, bundle.indexOf('\n', 1000) + 5000));
  rmSync(join(store.dir, 'daemon.log'), { force: true });
  rmSync(startFailedPaths(store.dir)[0], { force: true });
  const cut = crate('cut bundle');
  t.equal((await run(bin, ['rustc', ...args(cut)], { cwd: cut, env: store.env() })).code, 0, 'a call with a bundle cut short builds');
  const cutLog = readFileSync(join(store.dir, 'daemon.log'), 'utf8');
  t.match(cutLog, /SyntaxError/, 'daemon.log names the syntax error');
  t.ok(cutLog.length < 10_000, `in a few lines (${cutLog.length} bytes)`);
});
