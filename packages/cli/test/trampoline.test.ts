import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { BIN, ON_PIPES, printingCrate, printingCrateArgs, run, runOnPipes, Store, tempDir, timingLines } from './helpers.js';

// bin/splitcache starts the daemon itself when none runs, before node starts
// the client (packages/cli/src/daemonStart.ts says how the two share the spawn lock).

const args = (cwd: string) => printingCrateArgs(cwd, 'tramp');

/** A `node` first on PATH that logs its pid and arguments, then becomes the real node. */
function loggingNode(): { path: string; log: string } {
  const dir = tempDir('node-shim');
  const log = join(dir, 'starts.log');
  writeFileSync(join(dir, 'node'), `#!/bin/sh\necho "$$ $*" >> '${log}'\nexec '${process.execPath}' "$@"\n`, { mode: 0o755 });
  return { path: `${dir}:${process.env.PATH}`, log };
}

// Each case has a store of its own; the one that waits out a spawn lock no daemon comes for goes
// first, and the others run beside it, two cases at a time: 13 s one after another, 8 s so.
t.jobs = 2;

t.test('a spawn lock that names no pid and no daemon comes for: the call waits ~2 s for the exec port, then its client takes the start over', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  mkdirSync(store.dir, { recursive: true });
  writeFileSync(join(store.dir, 'daemon.starting'), '');
  const sleep = loggingSleep();
  const cwd = printingCrate('no pid');
  // Under a timeout: a wait that never ends was a hung build.
  const r = await run('timeout', ['-k', '5', '60', '/bin/bash', '-c', ON_PIPES, '_', BIN, 'rustc', ...args(cwd)], { cwd, env: store.env({ PATH: sleep.path }) });
  t.equal(r.code, 0, `the call succeeds${r.stderr ? `: ${r.stderr}` : ''}`);
  t.equal(waits(sleep.log), 75, 'after 75 waits for the exec port, no more');
  t.equal(spawnSync(join(cwd, 'out', 'tramp-t'), { encoding: 'utf8' }).stdout, 'no pid\n', 'with the right binary');
});

t.test('with no daemon and no store dir yet, the trampoline starts one for a burst of calls, and they reach it', async (t) => {
  const store = new Store(join(tempDir('store'), 'not-yet'));
  t.teardown(() => store.stop());
  const node = loggingNode();
  const calls = Array.from({ length: 3 }, (_, i) => printingCrate(`burst ${i}`));
  const results = await Promise.all(calls.map((cwd) => run(BIN, ['rustc', ...args(cwd)], { cwd, env: store.env({ PATH: node.path }) })));
  results.forEach((r, i) => {
    t.equal(r.code, 0, `call ${i} succeeds`);
    t.equal(r.stderr, '', `call ${i} says nothing`);
    t.equal(spawnSync(join(calls[i]!, 'out', 'tramp-t'), { encoding: 'utf8' }).stdout, `burst ${i}\n`, `call ${i} built the right binary`);
  });
  const daemons = readFileSync(node.log, 'utf8').split('\n').filter((l) => l.includes('daemon/dist/bundle/main.cjs'));
  t.equal(daemons.length, 1, `the trampoline started one daemon (${daemons.join('; ')})`);
  t.equal(Number(daemons[0]?.split(' ')[0]), store.daemonPid(), 'and it is the daemon that runs');
  t.notOk(existsSync(join(store.dir, 'daemon.starting')), 'which removed the spawn lock once it listened');
  t.equal((await store.stats()).misses, 3, 'every call reached it (none built uncached)');
});

t.test('calls that come while the daemon starts wait for its exec port, and start no node client', async (t) => {
  const store = new Store(join(tempDir('store'), 'not-yet'));
  t.teardown(() => store.stop());
  const node = loggingNode();
  const timing = join(tempDir('timing'), 'calls.jsonl');
  const calls = Array.from({ length: 3 }, (_, i) => printingCrate(`waited ${i}`));
  // On real pipes, as cargo gives them: the exec port declines node's socket pairs.
  const results = await Promise.all(calls.map((cwd) => runOnPipes(BIN, ['rustc', ...args(cwd)], { cwd, env: store.env({ PATH: node.path, SPLITCACHE_TIMING_LOG: timing }) })));
  results.forEach((r, i) => {
    t.equal(r.code, 0, `call ${i} succeeds`);
    t.equal(spawnSync(join(calls[i]!, 'out', 'tramp-t'), { encoding: 'utf8' }).stdout, `waited ${i}\n`, `call ${i} built the right binary`);
  });
  const starts = readFileSync(node.log, 'utf8').split('\n').filter(Boolean);
  t.same(starts.filter((l) => l.includes('client.cjs')), [], 'no node client started');
  t.equal(starts.filter((l) => l.includes('daemon/dist/bundle/main.cjs')).length, 1, 'one daemon did');
  t.same(timingLines(timing).map((l) => l.client), ['exec', 'exec', 'exec'], 'and every call went through its exec port');
  t.equal((await store.stats()).misses, 3, 'each a miss, stored');
});

t.test('the daemon keeps none of the file descriptors a build gave the call', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const cwd = printingCrate('fds');
  // fd 3 and fd 7 as cargo hands its jobserver down (6 and 7 here): the call's
  // ends must close when the call ends, though the daemon it started lives on.
  const child = spawn(BIN, ['rustc', ...args(cwd)], { cwd, env: store.env(), stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'ignore', 'ignore', 'ignore', 'pipe'] });
  const closed = (s: Readable) =>
    new Promise<boolean>((res) => {
      const timer = setTimeout(() => res(false), 5000);
      s.on('data', () => undefined);
      s.on('end', () => (clearTimeout(timer), res(true)));
      s.on('error', () => (clearTimeout(timer), res(true)));
    });
  const stdio = child.stdio as unknown as Readable[];
  const ends = [closed(stdio[3]!), closed(stdio[7]!)];
  const code = await new Promise((res) => child.on('exit', res));
  t.equal(code, 0, 'the call succeeds');
  const [three, seven] = await Promise.all(ends);
  t.ok(three, 'fd 3 reached end of file after the call');
  t.ok(seven, 'fd 7 reached end of file after the call');
  t.ok(store.daemonPid() > 1, 'while the daemon runs on');
});

t.test('a daemon the trampoline started that is killed before it listens: the waiting call takes the start over, and is served', async (t) => {
  const store = new Store(join(tempDir('store'), 'not-yet'));
  t.teardown(() => store.stop());
  // A `node` whose first daemon start dies of SIGKILL (the OOM killer, say) before it listens, leaving no
  // reason behind: only the pid the trampoline put in the spawn lock tells the waiting call that it is gone.
  const dir = tempDir('node-killed');
  const once = join(dir, 'killed');
  writeFileSync(join(dir, 'node'), `#!/bin/sh\ncase "$*" in *daemon/dist/bundle/main.cjs*) if [ ! -e '${once}' ]; then : > '${once}'; kill -KILL $$; fi ;; esac\nexec '${process.execPath}' "$@"\n`, { mode: 0o755 });
  const cwd = printingCrate('taken over');
  const r = await run(BIN, ['rustc', ...args(cwd)], { cwd, env: store.env({ PATH: `${dir}:${process.env.PATH}` }) });
  t.equal(r.code, 0, 'the call succeeds');
  t.ok(existsSync(once), 'after the first start was killed');
  t.equal(r.stderr, '', 'and says nothing: it did not wait out the start and build uncached');
  t.equal((await store.stats()).misses, 1, 'the daemon its client started served it');
});

/** A `sleep` first on PATH that logs its argument, then sleeps: bin/splitcache's waits for a starting daemon, counted. */
function loggingSleep(): { path: string; log: string } {
  const dir = tempDir('sleep-shim');
  const log = join(dir, 'sleeps.log');
  writeFileSync(join(dir, 'sleep'), `#!/bin/sh\necho "$*" >> '${log}'\nexec /bin/sleep "$@"\n`, { mode: 0o755 });
  return { path: `${dir}:${process.env.PATH}`, log };
}
const waits = (log: string) => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter((l) => l === '0.005' || l === '0.05').length : 0);

t.test('a spawn lock naming a starter that is gone: the call does not wait on it, and is served', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  mkdirSync(store.dir, { recursive: true });
  writeFileSync(join(store.dir, 'daemon.starting'), `${spawnSync('true').pid}\n`);
  const sleep = loggingSleep();
  const cwd = printingCrate('gone starter');
  const r = await runOnPipes(BIN, ['rustc', ...args(cwd)], { cwd, env: store.env({ PATH: sleep.path }) });
  t.equal(r.code, 0, `the call succeeds${r.stderr ? `: ${r.stderr}` : ''}`);
  t.equal(waits(sleep.log), 0, 'without one wait for the exec port (before: 75 of them, ~2 s)');
  t.equal((await store.stats()).misses, 1, 'the daemon its client started served it');
});

