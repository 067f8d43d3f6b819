import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readlinkSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectOrStart, procState, trampolineStartDied } from '../src/daemonStart.js';
import { startFailedPaths } from '@splitcache/daemon/protocol';
import { BIN, DAEMON_MAIN, printingCrate, printingCrateArgs, Store, tempDir } from './helpers.js';

// A call waiting for the daemon that bin/splitcache started takes the start
// over only when that daemon is gone: a false "gone" starts a second daemon
// (and costs a node start) while the first is still coming up.

// One case waits out a stale spawn lock (2 s with no pid in it; 10 s before); it goes first, and the others (each with a store
// or lock dir of its own) run beside it, three cases at a time: 20 s one after another, 11 s so.
t.jobs = 3;

const stateOf = (pid: number) => {
  try {
    return procState(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return 'gone';
  }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('a spawn lock left with no pid by a starter that is gone is taken over once stale, while a call waits', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  mkdirSync(store.dir, { recursive: true });
  // A client made the lock and died before its daemon listened (killed with it): no pid, no daemon.
  writeFileSync(join(store.dir, 'daemon.starting'), '');
  const t0 = Date.now();
  const r = await store.splitcache(['stats', '--json']);
  const ms = Date.now() - t0;
  t.equal(r.code, 0, `\`splitcache stats\` gets its answer (${r.stderr.trim()})`);
  // Stale after 2 s, as a lock with no pid (emptySpawnLock.test): not taken while a live starter may still write its pid.
  t.ok(ms >= 1_500, `once the lock had gone stale, not at once (${ms} ms)`);
  t.ok(store.daemonPid() > 1, 'from a daemon it started');
});

t.test('the state field is read past a command name with spaces and parentheses', async (t) => {
  t.equal(procState('42 (node) S 1 42 42 0 -1'), 'S');
  t.equal(procState('42 (a (b) c) Z 1 42 42 0 -1'), 'Z', 'a zombie whose name holds parentheses and spaces');
  t.equal(procState('42 (x) X 1'), 'X');
});

t.test('a started daemon in the middle of its exec is not taken for gone', async (t) => {
  const dir = tempDir('start-lock');
  let falseGone = 0;
  let emptyCmdline = 0;
  let polls = 0;
  for (let i = 0; i < 20; i++) {
    // The trampoline's start: a shell that execs setsid, which execs the program.
    const child = spawn('sh', ['-c', 'exec setsid sleep 1'], { stdio: 'ignore' });
    writeFileSync(join(dir, 'daemon.starting'), `${child.pid}\n`);
    const until = Date.now() + 40;
    while (Date.now() < until) {
      polls++;
      if (trampolineStartDied(dir)) falseGone++;
      try {
        if (readFileSync(`/proc/${child.pid}/cmdline`).length === 0 && stateOf(child.pid!) !== 'Z') emptyCmdline++;
      } catch {
        /* between reads */
      }
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
  }
  t.equal(falseGone, 0, `never taken for gone while it runs (${polls} polls)`);
  t.comment(`an empty /proc/<pid>/cmdline while alive, the old rule's false positive: ${emptyCmdline} reads`);
});

t.test('a zombie and a reaped pid are gone; a lock without a pid is not', async (t) => {
  const dir = tempDir('start-lock');
  // The child is never reaped by its parent, which became `sleep 5`. It outlives the exec by 0.3 s:
  // a `sleep 0` could end before it, and sh reaped it (seen on a clean-clone run).
  const parent = spawn('sh', ['-c', 'sleep 0.3 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] });
  t.teardown(() => parent.kill('SIGKILL'));
  const zombie = Number(await new Promise<string>((r) => parent.stdout!.once('data', (d: Buffer) => r(d.toString()))));
  for (let i = 0; i < 200 && stateOf(zombie) !== 'Z'; i++) await sleep(10);
  t.equal(stateOf(zombie), 'Z', 'the child is a zombie');
  writeFileSync(join(dir, 'daemon.starting'), `${zombie}\n`);
  t.equal(trampolineStartDied(dir), true, 'a zombie is gone');

  const done = spawn('true');
  await new Promise((r) => done.on('close', r));
  writeFileSync(join(dir, 'daemon.starting'), `${done.pid}\n`);
  t.equal(trampolineStartDied(dir), true, 'a reaped pid is gone');

  writeFileSync(join(dir, 'daemon.starting'), '');
  t.equal(trampolineStartDied(dir), false, "a client's lock (no pid) is not");
  writeFileSync(join(dir, 'daemon.starting'), `${process.pid}\n`);
  t.equal(trampolineStartDied(dir), false, 'a running process is not');
});

t.test('a daemon started while another already serves the store exits, and takes with it the spawn lock made for it', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  t.equal((await store.splitcache(['server', 'start'])).code, 0, 'a daemon serves the store');
  const serving = store.daemonPid();
  const lock = join(store.dir, 'daemon.starting');
  // As a call that found no answer a moment before that daemon listened starts one: the lock made
  // again after the first daemon removed it, by a node client (no pid) or by bin/splitcache (the pid).
  for (const [who, script] of [
    ['a node client', `: > '${lock}'; exec '${process.execPath}' '${DAEMON_MAIN}'`],
    ['bin/splitcache', `echo $$ > '${lock}'; exec '${process.execPath}' '${DAEMON_MAIN}'`],
  ] as const) {
    const second = spawn('sh', ['-c', script], { env: store.env(), stdio: 'ignore' });
    const code = await new Promise<number | null>((res) => second.on('close', (c) => res(c)));
    t.equal(code, 0, `the second daemon (${who}'s) exits`);
    t.notOk(existsSync(lock), `and the lock ${who} made is gone (before: it stood for 10 s, naming no start)`);
    t.equal(store.daemonPid(), serving, 'the first daemon serves on');
  }
});

t.test('a daemon that may speak TLS keeps NODE_EXTRA_CA_CERTS, whichever starter starts it', async (t) => {
  // Its environment is read from /proc: a daemon started without the user's CA certificates failed
  // every lookup of a remote whose certificate a private CA signed.
  const ca = join(tempDir('ca'), 'ca.pem');
  writeFileSync(ca, '');
  const cases: [string, NodeJS.ProcessEnv, boolean][] = [
    ['an https remote', { SPLITCACHE_REMOTE: 'https://127.0.0.1:1/' }, true],
    ['an https remote with a leading blank', { SPLITCACHE_REMOTE: ' https://127.0.0.1:1/' }, true],
    ['an http remote through an https proxy', { SPLITCACHE_REMOTE: 'http://127.0.0.1:1/', HTTP_PROXY: 'https://127.0.0.1:2' }, true],
    ['an http remote', { SPLITCACHE_REMOTE: 'http://127.0.0.1:1/' }, false],
    ['no remote, an https proxy', { SPLITCACHE_REMOTE: '', HTTPS_PROXY: 'https://127.0.0.1:2' }, false],
  ];
  const noProxies = { HTTP_PROXY: '', HTTPS_PROXY: '', http_proxy: '', https_proxy: '', NODE_EXTRA_CA_CERTS: ca };
  for (const [what, vars, kept] of cases) {
    for (const starter of ['a compile (bin/splitcache or the client)', 'server start (the client)']) {
      const store = new Store();
      const env = store.env({ ...noProxies, ...vars, SPLITCACHE_REMOTE_TIMEOUT: '1' });
      const cwd = printingCrate('tls');
      const r = starter.startsWith('server')
        ? spawnSync(BIN, ['server', 'start'], { env, encoding: 'utf8' })
        : spawnSync(BIN, ['rustc', ...printingCrateArgs(cwd)], { cwd, env, encoding: 'utf8' });
      t.equal(r.status, 0, `${what}, ${starter}: it succeeds${r.stderr ? `: ${r.stderr}` : ''}`);
      const environ = readFileSync(`/proc/${store.daemonPid()}/environ`, 'latin1').split('\0');
      t.equal(environ.includes(`NODE_EXTRA_CA_CERTS=${ca}`), kept, `${what}, ${starter}: the daemon ${kept ? 'has' : 'is spared'} NODE_EXTRA_CA_CERTS`);
      await store.stop();
    }
  }
});

t.test('a daemon this call spawned that exits 0 (another owns the store) is waited on: the call reaches the one that serves, and leaves no failed start', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  // What a daemon does that finds another one owning the store: it exits 0 before it listens. Two
  // starters at once (a stale lock taken over by both) end so, and the loser's call must wait on.
  const quits = join(tempDir('quits'), 'main.cjs');
  writeFileSync(quits, 'process.exit(0);\n');
  const serving = new Promise((r) => setTimeout(r, 1000)).then(() => store.splitcache(['server', 'start']));
  const conn = await connectOrStart(store.dir, quits, 8000).catch((e: Error) => e);
  await serving;
  t.ok(conn && !(conn instanceof Error), `the call reached the daemon that serves (${conn instanceof Error ? conn.message : 'connected'})`);
  if (conn && !(conn instanceof Error)) conn.close();
  t.same(startFailedPaths(store.dir).filter((p) => existsSync(p)), [], 'and left no failed-start note, which would send every call uncached for 10 s');
});

t.test('a daemon this call spawned that a signal kills before it listens: the call says so at once, not after its whole wait', async (t) => {
  // As the OOM killer ends it. Its exit code is null too, as a daemon's that has not yet ended:
  // the signal tells the two apart, and a call that took it for "not ended" waited out the 5 s.
  const store = new Store();
  const killed = join(tempDir('killed'), 'main.cjs');
  writeFileSync(killed, "process.kill(process.pid, 'SIGKILL');\n");
  t.teardown(() => startFailedPaths(store.dir).forEach((p) => rmSync(p, { force: true })));
  const t0 = Date.now();
  // A wait long beside a start under any load: a call that missed the signal waits it all out.
  const conn = await connectOrStart(store.dir, killed, 60_000).catch((e: Error & { code?: string }) => e);
  const ms = Date.now() - t0;
  t.ok(conn instanceof Error, 'the call fails to connect');
  if (conn instanceof Error) {
    t.equal((conn as Error & { code?: string }).code, 'SPLITCACHE_DAEMON_UNREACHABLE', 'with SPLITCACHE_DAEMON_UNREACHABLE');
    t.match(conn.message, /killed by SIGKILL before it listened/, 'saying how the daemon ended');
  } else conn?.close();
  t.ok(ms < 30_000, `without waiting out its wait (${ms} ms; a call that missed the signal waited all 60,000)`);
});

t.test("a daemon the node client starts runs without the user's NODE_OPTIONS, which the client gave back to what it runs", async (t) => {
  // bin/splitcache parks them and the client restores them for rustc (wrapper.test.ts); a daemon the
  // trampoline starts never had them. `server start` is the client's own start: a relative --require
  // kept there would stop the daemon before it listens, and every call would build uncached.
  const store = new Store();
  t.teardown(() => store.stop());
  const env = store.env({ NODE_OPTIONS: '--require ./no-such-hook.js' });
  const r = spawnSync(BIN, ['server', 'start'], { env, encoding: 'utf8' });
  t.equal(r.status, 0, `server start succeeds${r.stderr ? `: ${r.stderr}` : ''}`);
  const environ = readFileSync(`/proc/${store.daemonPid()}/environ`, 'latin1').split('\0');
  t.notOk(environ.some((l) => l.startsWith('NODE_OPTIONS=')), 'the daemon runs without them');
});

t.test('a failed-start note over 10 s old, or an empty one, does not keep a call from starting the daemon', async (t) => {
  // The note sends calls uncached for the 10 s a failed start would fail again; no daemon removes it
  // after. Honoured at any age, one failed start (a full disk, since freed) kept every later call
  // that found no daemon listening from starting one, for good.
  for (const [what, text, ageS] of [['a minute old', 'exited with code 1 before it listened\n', 60], ['empty', '', 0]] as const) {
    const store = new Store();
    t.teardown(() => store.stop());
    mkdirSync(store.dir, { recursive: true });
    const note = startFailedPaths(store.dir)[0];
    writeFileSync(note, text);
    const then = (Date.now() - ageS * 1000) / 1000;
    utimesSync(note, then, then);
    // The daemon serves the store SPLITCACHE_DIR names, as bin/splitcache's callers set it.
    const saved = process.env.SPLITCACHE_DIR;
    process.env.SPLITCACHE_DIR = store.dir;
    const conn = await connectOrStart(store.dir, DAEMON_MAIN, 8000).catch((e: Error) => e);
    if (saved === undefined) delete process.env.SPLITCACHE_DIR;
    else process.env.SPLITCACHE_DIR = saved;
    t.ok(conn && !(conn instanceof Error), `${what}: the call started the daemon and reached it (${conn instanceof Error ? conn.message : conn ? 'connected' : 'timed out'})`);
    if (conn && !(conn instanceof Error)) conn.close();
  }
});

t.test('a daemon the node client starts leads a session of its own, stdin /dev/null: a Ctrl-C or hang-up to the build does not reach it', async (t) => {
  // bin/splitcache starts its daemon under setsid; the client's start (`server start`, an https
  // remote's store) is detached for the same reason. In the caller's process group, a Ctrl-C to
  // the build stopped the daemon with it.
  const store = new Store();
  t.teardown(() => store.stop());
  const r = spawnSync(BIN, ['server', 'start'], { env: store.env(), encoding: 'utf8' });
  t.equal(r.status, 0, `server start succeeds${r.stderr ? `: ${r.stderr}` : ''}`);
  const pid = store.daemonPid();
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const [pgrp, session] = stat.slice(stat.lastIndexOf(')') + 2).split(' ').slice(2, 4).map(Number);
  t.same([pgrp, session], [pid, pid], 'its own process group and session');
  // Nor does it keep the caller's stdin (a terminal an ssh logout then waits on, a pipe's read end).
  t.equal(readlinkSync(`/proc/${pid}/fd/0`), '/dev/null', 'its stdin is /dev/null');
});
