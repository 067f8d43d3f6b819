import t, { type Test } from 'tap';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runningDaemonPid } from '../src/daemonPid.js';
import { BIN, printingCrate, printingCrateArgs, realRustc, run, runOnPipes, Store, tempDir, waitFor } from './helpers.js';

// bash's SPLITCACHE_DAEMON_UNRESPONSIVE line names the call it built uncached, as its
// SPLITCACHE_DAEMON_LOST line does: a build script by its package (CARGO_PKG_NAME), as every build
// script's crate is build_script_build. Before, it said only that the daemon was stopped, and a
// build whose calls gave up on a hung daemon could not tell which crates built uncached. Each case
// waits out one silence of 10 s (asleep): all at once.
t.jobs = 3;

const ENV = { CARGO_PKG_NAME: 'hung-sys', CARGO_PKG_VERSION: '0.3.0' };
const LINE = /^splitcache: SPLITCACHE_DAEMON_UNRESPONSIVE: the daemon sent nothing for 10 s \(paused by a signal\), and was stopped during the call of hung-sys's build script \(building it uncached\)\n$/;

/** A store whose daemon runs and has its exec port; the daemon is woken before it is stopped at the end. */
async function runningStore(t: Test, rustc: string): Promise<Store> {
  const store = new Store();
  t.teardown(async () => {
    const pid = runningDaemonPid(store.dir);
    if (pid !== undefined) process.kill(pid, 'SIGCONT');
    await store.stop();
  });
  const first = printingCrate('first');
  t.equal((await run(BIN, [rustc, ...printingCrateArgs(first)], { cwd: first, env: store.env() })).code, 0, 'a first call starts the daemon');
  t.ok(await waitFor(() => existsSync(join(store.dir, 'exec.port'))), 'the daemon has its exec port');
  return store;
}

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
const STOPS = [
  { when: 'as its -Zno-link half starts', match: '*" --crate-name "*', after: false },
  { when: 'once its link step has linked', match: '*" @/dev/fd/"*', after: true },
];
for (const stop of STOPS) {
  t.test(`a daemon stopped ${stop.when}: the line names the build script by its package`, async (t) => {
    const real = await realRustc();
    const store = await runningStore(t, real);
    const bin = tempDir('rustc');
    const rustc = join(bin, 'rustc');
    const once = join(bin, 'stopped');
    const stopDaemon = `if [ ! -e '${once}' ]; then : > '${once}'; kill -STOP "$(cat '${join(store.dir, 'daemon.pid')}')"; fi`;
    const body = stop.after
      ? `case " $* " in ${stop.match}) '${real}' "$@"; code=$?; ${stopDaemon}; exit $code ;; esac\nexec '${real}' "$@"\n`
      : `case " $* " in ${stop.match}) ${stopDaemon} ;; esac\nexec '${real}' "$@"\n`;
    writeFileSync(rustc, `#!/bin/sh\n${body}`, { mode: 0o755 });
    const pid = store.daemonPid();
    const stderr = await buildScript(t, store, rustc, stop.after ? 'stopped after' : 'stopped during');
    t.ok(existsSync(once), 'the daemon was stopped during the call');
    t.match(stderr, LINE, 'one line says why, and of which call');
    t.ok(await waitFor(() => runningDaemonPid(store.dir) !== pid), 'the hung daemon is gone');
  });
}
