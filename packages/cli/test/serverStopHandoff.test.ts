import t from 'tap';
import type { Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { alive, assertOk, BIN, printingCrate, printingCrateArgs, run, Store, tempDir, waitFor } from './helpers.js';
import { holdIndex } from './indexHolder.js';

// A daemon stopped while a call of its still compiles keeps the store's lock until that call
// ends; a daemon started meanwhile (by the next calls) waits for it, and past its wait serves
// uncached until the old one has ended (daemon/src/main.ts, openWhenFree).

// Each case has a store and daemon of its own, and waits out a compile that sleeps; the second
// sleeps past a new daemon's 10 s wait for the store. Two cases at a time: 22 s one after another,
// 16 s so.
t.jobs = 2;

const crate = printingCrate;

/**
 * A daemon stopped (`server stop`) while a call of its compiles for `seconds` (a rustc that sleeps for
 * the crate `slow`; its link step, the node client's, does not): once the stopping daemon's exec port
 * is closed, `next` is a crate for the calls that come meanwhile.
 */
async function stopDuringSlowCall(t: Test, seconds: number) {
  const store = new Store();
  t.teardown(() => store.stop());
  assertOk(t, await store.splitcache(['server', 'start']), 'a daemon runs');
  const oldPid = store.daemonPid();
  const bin = tempDir('slow-rustc');
  const compiling = join(bin, 'compiling');
  writeFileSync(join(bin, 'rustc'), `#!/bin/sh\ncase " $* " in *" --crate-name slow "*" src/main.rs "*) : > '${compiling}'; sleep ${seconds} ;; esac\nexec rustc "$@"\n`, { mode: 0o755 });
  const slow = crate('slow');
  const inFlight = run(BIN, [join(bin, 'rustc'), ...printingCrateArgs(slow, 'slow')], { cwd: slow, env: store.env() });
  t.ok(await waitFor(() => existsSync(compiling), 20_000), 'a call is compiling through the daemon');
  // Whether the old daemon had ended as `server stop` returned: it waits for that (server.ts).
  const stopped = store.splitcache(['server', 'stop']).then((r) => ({ ...r, oldGone: !alive(oldPid) }));
  t.ok(await waitFor(() => !existsSync(join(store.dir, 'exec.port')), 5000), 'the daemon is stopping (its exec port closed)');
  return { store, oldPid, inFlight, stopped, next: crate('next') };
}

t.test('`server stop` while a call is in flight: the next call is served by a new daemon once the old one has let go of the store', async (t) => {
  // The stopping daemon keeps the store's lock until its last call ends. A daemon started
  // meanwhile used to exit at once (the lock taken), and each call waited out the 5 s start
  // timeout and built uncached; now it waits for the lock.
  const { store, oldPid, inFlight, stopped, next } = await stopDuringSlowCall(t, 2);
  const r = await run(BIN, ['rustc', ...printingCrateArgs(next)], { cwd: next, env: store.env() });
  t.equal(r.code, 0, 'the next call builds');
  t.equal(r.stderr, '', `with nothing to say (${r.stderr.trim()})`);
  t.equal((await inFlight).code, 0, 'the call in flight finished');
  const stop = await stopped;
  t.equal(stop.stdout, 'splitcache daemon stopped\n', 'server stop says the daemon stopped');
  t.ok(stop.oldGone, 'once it had: server stop returned after the old daemon ended, not while its call ran');
  const newPid = store.daemonPid();
  t.not(newPid, oldPid, 'a new daemon serves');
  t.equal(readFileSync(join(store.dir, 'daemon.pid'), 'utf8').trim(), String(newPid), "its pid file is its own (the old daemon's exit left it)");
  rmSync(join(next, 'out'), { recursive: true });
  mkdirSync(join(next, 'out'));
  assertOk(t, await run(BIN, ['rustc', ...printingCrateArgs(next)], { cwd: next, env: store.env() }), 'the next call, again');
  t.equal((await store.stats()).hits, 1, 'hits: the new daemon stored it the first time');
});

t.test('`server stop` while a call compiles for longer than a new daemon waits for the store: the new one gives way once the old one ends', async (t) => {
  // After its 10 s wait the new daemon served every call uncached for 30 s, however soon the old one
  // let go: a build that came during another's long compile got no hit for ~40 s (a helper's repro:
  // 0 hits of 17, 27 s against plain cargo's 16.6 s).
  const { store, oldPid, inFlight, stopped, next } = await stopDuringSlowCall(t, 13);
  const r = await run(BIN, ['rustc', ...printingCrateArgs(next)], { cwd: next, env: store.env() });
  t.equal(r.code, 0, 'a call meanwhile builds');
  t.match(r.stderr, /SPLITCACHE_STORE_LOCKED: the daemon before this one \(pid \d+\) still holds the store, finishing a call it has in hand \(building uncached\)/, 'uncached, saying why');
  t.equal((await inFlight).code, 0, 'the call in flight finished');
  await stopped;
  t.ok(await waitFor(() => !existsSync(`/proc/${oldPid}`), 10_000), 'and the old daemon has ended');
  let status = '';
  for (let i = 0; i < 12; i++) {
    await new Promise((res) => setTimeout(res, 250));
    status = (await store.splitcache(['server', 'status'])).stdout;
    if (!/store unavailable/.test(status)) break;
  }
  t.notMatch(status, /store unavailable/, `within 3 s the stand-in is gone (${status.trim()})`);
  rmSync(join(next, 'out'), { recursive: true });
  mkdirSync(join(next, 'out'));
  const again = await run(BIN, ['rustc', ...printingCrateArgs(next)], { cwd: next, env: store.env() });
  assertOk(t, again, 'the next call');
  t.equal(again.stderr, '', 'served by a daemon with the store');
  const last = (await store.audit()).filter((e) => e.crate === 'trial').at(-1);
  t.same([last?.outcome, Boolean(last?.entryKey)], ['miss', true], 'which compiled and stored it');
});

t.test('a subcommand while a stopping daemon finishes a long call: answered once that daemon has ended, not failed', async (t) => {
  // The daemon started meanwhile stands in, past its wait for the store, and answered every
  // request but a compile with its line: `audit verify` run just after a `server stop` during a
  // build exited 1 (`SPLITCACHE_STORE_LOCKED: the daemon before this one …`, a concurrency hunt's find).
  const { store, oldPid, inFlight, stopped } = await stopDuringSlowCall(t, 9);
  const verify = await store.splitcache(['audit', 'verify']);
  t.equal(verify.code, 0, `audit verify answers (${verify.stderr.trim()})`);
  t.match(verify.stdout, /^verify: \d+ entries, \d+ blobs checked, 0 bad/m, 'from the store');
  t.match(verify.stderr, /waiting for the daemon before this one \(pid \d+\) to finish a call it has in hand/, 'saying what it waited for');
  t.notOk(alive(oldPid), 'once the old daemon had ended');
  t.equal((await inFlight).code, 0, 'the call in flight finished');
  await stopped;
  const stats = await store.splitcache(['stats', '--json']);
  t.equal(stats.code, 0, 'stats answers after');
  t.equal(JSON.parse(stats.stdout).misses, 1, 'counting the slow call');
});

t.test("a daemon that removes its pid file a moment before it lets go of the store: the new one waits that moment", async (t) => {
  // The new daemon waited for the lock while daemon.pid named the one on its way out, but its try
  // at the lock could find it held just before that one let go and removed its pid file: found
  // named by none, the lock was reported at once, and every call served uncached for 30 s
  // (`SPLITCACHE_STORE_LOCKED: store index … is locked by another process`, a clean-clone run
  // under load). A lock no pid file names is now waited for a moment after a daemon was last named.
  const store = new Store();
  t.teardown(() => store.stop());
  assertOk(t, await store.splitcache(['server', 'start']), 'a daemon makes the store');
  assertOk(t, await store.splitcache(['server', 'stop']), 'and stops');
  // A stand-in for a daemon on its way out: it removes daemon.pid 500 ms before it lets go of the index.
  await holdIndex(t, store.dir, { named: true, leave: { holdMs: 2_000, lateMs: 500 } });
  const next = crate('next');
  const r = await run(BIN, ['rustc', ...printingCrateArgs(next)], { cwd: next, env: store.env() });
  t.equal(r.code, 0, 'the call builds');
  t.equal(r.stderr, '', `with nothing to say (${r.stderr.trim()})`);
  t.equal(spawnSync(join(next, 'out', 'trial-t'), { encoding: 'utf8' }).stdout, 'next\n', 'its binary is right');
  const s = await store.stats();
  t.same([s.misses, s.notStored], [1, {}], 'served by a daemon with the store: a miss, stored');
});
