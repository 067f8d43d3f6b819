import t, { type Test } from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocket } from 'undici';
import { BUSY_MAX_MS } from '../src/daemonWatch.js';
import { alive, BIN, DAEMON_MAIN, printingCrate, printingCrateArgs, realRustc, run, runOnPipes, Store, tempDir, waitFor } from './helpers.js';

// A daemon that sends nothing for 10 s but works meanwhile (it uses CPU, moves bytes, or waits
// for one) is slow, not hung: on a loaded CI runner, 64 calls killed such a daemon and all built
// uncached. Here its event loop is really blocked, by a loop run through node's inspector (what
// SIGUSR1 opens), for BLOCK_MS: each call waits it out and is served, the daemon kept.

const BLOCK_MS = 16_000;

// Each case has a store and daemon of its own; two at a time, a 5 s pause beside a blocked loop and
// two loops blocked at once (each daemon's own thread, each held for BLOCK_MS by the clock, however
// little CPU it gets: 'starved of CPU' is a held loop too). The BUSY_MAX_MS case comes first, so
// that the other four run beside its 61 s: 64 s in all, where last it made the file 88 s.
t.jobs = 2;

/**
 * Blocks the event loop of the daemon `pid` of `store` for `ms`, through its inspector (SIGUSR1 opens it on the
 * port its --inspect-port gave: 0, any free one, which node names in the daemon's log); resolves once the loop runs.
 */
async function blockEventLoop(store: Store, pid: number, ms: number): Promise<void> {
  const logged = store.daemonLog().length;
  process.kill(pid, 'SIGUSR1');
  let url: string | undefined;
  for (let i = 0; i < 100 && !url; i++) {
    url = /Debugger listening on (ws:\/\/\S+)/.exec(store.daemonLog().slice(logged))?.[1];
    if (!url) await new Promise((r) => setTimeout(r, 100));
  }
  if (!url) throw new Error(`the daemon opened no inspector: ${store.daemonLog(500)}`);
  const ws = new WebSocket(url);
  await new Promise((res, rej) => ((ws.onopen = res), (ws.onerror = rej)));
  ws.send(JSON.stringify({ id: 1, method: 'Runtime.evaluate', params: { expression: `{ const end = Date.now() + ${ms}; while (Date.now() < end); }` } }));
  // Its answer comes once the loop has ended; by then the calls under test have waited it out.
  void new Promise((res) => (ws.onmessage = res)).then(() => ws.close());
}

/**
 * A store whose daemon runs, after one call stored `text`'s crate; its daemon's pid. The daemon is started here, as a
 * client starts it but with --inspect-port=0: the inspector's default port, 9229, may be another program's.
 */
async function storeWith(t: Test, text: string): Promise<{ store: Store; pid: number }> {
  const store = new Store();
  t.teardown(() => store.stop());
  const log = openSync(join(store.dir, 'daemon.log'), 'a');
  spawn(process.execPath, ['--inspect-port=0', DAEMON_MAIN], { detached: true, stdio: ['ignore', log, log], env: store.env() }).unref();
  closeSync(log);
  t.ok(await waitFor(() => existsSync(join(store.dir, 'exec.port'))), 'the daemon has its exec port');
  const first = printingCrate(text);
  const r = await run(BIN, ['rustc', ...printingCrateArgs(first)], { cwd: first, env: store.env() });
  t.equal(r.code, 0, r.stderr);
  return { store, pid: store.daemonPid() };
}

// Busy is waited for up to BUSY_MAX_MS (daemonWatch.ts), not for good: a daemon whose loop never
// ends (a loop bug) would otherwise hold every call of every build.
t.test(`a daemon busy past ${BUSY_MAX_MS / 1000} s (a loop that never ends): the node client's call gives up on it, stops it, and builds uncached`, async (t) => {
  const { store, pid } = await storeWith(t, 'forever');
  const again = printingCrate('forever');
  await blockEventLoop(store, pid, 10 * BUSY_MAX_MS);
  const r = await runOnPipes('timeout', [String((BUSY_MAX_MS + 60_000) / 1000), BIN, 'rustc', ...printingCrateArgs(again)], { cwd: again, env: store.env({ SPLITCACHE_CLIENT: 'node' }) });
  t.equal(r.code, 0, `the call succeeds, and ends (${r.stderr.slice(-300)})`);
  t.match(r.stderr, /^splitcache: SPLITCACHE_DAEMON_UNRESPONSIVE: the daemon sent nothing for 60 s \(busy all along\), and was stopped \(building uncached\)\n$/, 'saying why');
  t.equal(spawnSync(join(again, 'out', 'trial-t'), { encoding: 'utf8' }).stdout, 'forever\n', 'its binary is right');
  t.ok(await waitFor(() => !alive(pid)), 'and the daemon is gone');
});

for (const client of ['node', 'exec'] as const) {
  t.test(`a hit while the daemon's event loop is blocked for ${BLOCK_MS / 1000} s (${client === 'node' ? 'node client' : 'the exec port, bash'}): the call waits, and is served`, async (t) => {
    const { store, pid } = await storeWith(t, 'busy');
    const again = printingCrate('busy');
    const timing = join(tempDir('timing'), 'calls.jsonl');
    const env = store.env({ SPLITCACHE_TIMING_LOG: timing, ...(client === 'node' ? { SPLITCACHE_CLIENT: 'node' } : {}) });
    await blockEventLoop(store, pid, BLOCK_MS);
    const t0 = Date.now();
    const r = await runOnPipes('timeout', ['90', BIN, 'rustc', ...printingCrateArgs(again)], { cwd: again, env });
    const ms = Date.now() - t0;
    t.equal(r.code, 0, `the call succeeds (${r.stderr.slice(-300)})`);
    t.equal(r.stderr, '', 'and says nothing: the daemon was not taken for hung');
    t.ok(ms > BLOCK_MS - 4_000, `it waited for the daemon (${ms} ms)`);
    t.equal(spawnSync(join(again, 'out', 'trial-t'), { encoding: 'utf8' }).stdout, 'busy\n', 'its binary is right');
    t.equal(store.daemonPid(), pid, 'the daemon is the same');
    t.equal((await store.stats()).hits, 1, 'and the call was a hit');
    // Busy, as a rule; on a loaded runner the loop's thread may have waited for a CPU most of it.
    // Without schedstat (a kernel built without it) the process's CPU, and no wait, is all it has.
    t.match(store.daemonLog(), /the daemon's event loop ran nothing for 1[4-8]\.\d s \(its thread \d+\.\d s on a CPU(, \d+\.\d s waiting for one)?\): (busy in one step|starved of CPU)/, 'its log says the loop was held');
  });
}

t.test('a daemon paused for 5 s says so in its log once it runs again', async (t) => {
  const { store, pid } = await storeWith(t, 'paused');
  process.kill(pid, 'SIGSTOP');
  await new Promise((r) => setTimeout(r, 5_000));
  process.kill(pid, 'SIGCONT');
  const said = /the daemon's event loop ran nothing for [4-7]\.\d s \(its thread [01]\.\d s on a CPU(, [01]\.\d s waiting for one)?\): (starved of CPU, )?paused, or blocked in a system call\n/;
  t.ok(await waitFor(() => said.test(store.daemonLog())), `its log says so (${store.daemonLog(300)})`);
});

t.test(`a miss whose daemon blocks for ${BLOCK_MS / 1000} s while rustc runs (the exec port's watchdog): the call is stored, the daemon kept`, async (t) => {
  const { store, pid } = await storeWith(t, 'first');
  const real = await realRustc();
  const dir = tempDir('slow-rustc');
  const started = join(dir, 'started');
  // The crate's compile says it has begun, then waits 1 s: the daemon is blocked meanwhile.
  const rustc = join(dir, 'rustc');
  writeFileSync(rustc, `#!/bin/sh\ncase " $* " in *" --crate-name "*) : > '${started}'; sleep 1 ;; esac\nexec '${real}' "$@"\n`, { mode: 0o755 });
  const cwd = printingCrate('second');
  const call = runOnPipes('timeout', ['90', BIN, rustc, ...printingCrateArgs(cwd)], { cwd, env: store.env() });
  t.ok(await waitFor(() => existsSync(started), 30_000), 'its rustc has begun');
  await blockEventLoop(store, pid, BLOCK_MS);
  const r = await call;
  t.equal(r.code, 0, `the call succeeds (${r.stderr.slice(-300)})`);
  t.notMatch(r.stderr, /SPLITCACHE_/, 'and says nothing of the daemon');
  t.equal(spawnSync(join(cwd, 'out', 'trial-t'), { encoding: 'utf8' }).stdout, 'second\n', 'its binary is right');
  t.equal(store.daemonPid(), pid, 'the daemon is the same');
  const s = await store.stats();
  t.same([s.misses, s.notStored], [2, {}], 'and both misses were stored');
  t.notOk(readFileSync(join(store.dir, 'daemon.log'), 'utf8').includes('SPLITCACHE_DAEMON'), 'the log has no word of a lost daemon');
});
