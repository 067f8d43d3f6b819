import t, { type Test } from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runningDaemonPid } from '../src/daemonPid.js';
import { BIN, printingCrate, printingCrateArgs, realRustc, run, runOnPipes, Store, waitFor } from './helpers.js';
import { runningStore, STOPS, stoppingRustc } from './hungHelpers.js';

// bash's SPLITCACHE_DAEMON_UNRESPONSIVE line names the call it built uncached, as its
// SPLITCACHE_DAEMON_LOST line does: a build script by its package (CARGO_PKG_NAME), as every build
// script's crate is build_script_build. Before, it said only that the daemon was stopped, and a
// build whose calls gave up on a hung daemon could not tell which crates built uncached. Each case
// waits out one silence of 10 s (asleep): all at once.
t.jobs = 3;

const ENV = { CARGO_PKG_NAME: 'hung-sys', CARGO_PKG_VERSION: '0.3.0' };
const LINE = /^splitcache: SPLITCACHE_DAEMON_UNRESPONSIVE: the daemon sent nothing for 10 s \(paused by a signal\), and was stopped during the call of hung-sys's build script \(building it uncached\)\n$/;

/** Runs a build script's compile on pipes (the exec port), checks it builds, and returns its stderr. */
async function buildScript(t: Test, store: Store, rustc: string, text: string): Promise<string> {
  const cwd = printingCrate(text);
  const r = await runOnPipes('timeout', ['60', BIN, rustc, ...printingCrateArgs(cwd, 'build_script_build')], { cwd, env: store.env(ENV) });
  t.equal(r.code, 0, `the call builds (${r.stderr.slice(-400)})`);
  t.equal((await run(join(cwd, 'out', 'build_script_build-t'), [])).stdout, `${text}\n`, 'and its binary is right');
  return r.stderr;
}

t.test('a daemon stopped before the call: the line names the build script by its package', async (t) => {
  const rustc = await realRustc();
  const store = await runningStore(t, rustc);
  const pid = store.daemonPid();
  process.kill(pid, 'SIGSTOP');
  const stderr = await buildScript(t, store, rustc, 'stopped before');
  t.match(stderr, LINE, 'one line says why, and of which call');
  t.ok(await waitFor(() => runningDaemonPid(store.dir) !== pid), 'the hung daemon is gone');
});

// Its -Zno-link half stops the daemon (the run's watchdog gives up on it), or its link step does,
// once linked (the script gives up waiting for the call's end).
for (const stop of STOPS) {
  t.test(`a daemon stopped ${stop.when}: the line names the build script by its package`, async (t) => {
    const real = await realRustc();
    const store = await runningStore(t, real);
    const { rustc, once } = stoppingRustc(store, real, stop);
    const pid = store.daemonPid();
    const stderr = await buildScript(t, store, rustc, stop.after ? 'stopped after' : 'stopped during');
    t.ok(existsSync(once), 'the daemon was stopped during the call');
    t.match(stderr, LINE, 'one line says why, and of which call');
    t.ok(await waitFor(() => runningDaemonPid(store.dir) !== pid), 'the hung daemon is gone');
  });
}
