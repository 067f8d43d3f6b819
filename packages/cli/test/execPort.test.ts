import t from 'tap';
import type { Test } from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { connect, createServer, type AddressInfo } from 'node:net';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { alive, assertOk, BIN, copyFixture, ON_PIPES, oneFileCrate, printingCrate, printingCrateArgs, run, runOnPipes, Store, tempDir, timingLines, waitFor } from './helpers.js';

// With a daemon running, bin/splitcache (under bash) hands each call to the
// daemon's exec port: the daemon plans, replays and stores, and bash runs
// each rustc the plan needs (packages/daemon/src/execServer.ts, execCall.ts). These tests drive that path with real
// cargo and rustc, and check it against what a node client would have done.

// Each case has a store and daemon of its own. One waits out `server stop`'s 10 s wait (15 s in
// all); it goes first, and the others run beside it, three cases at a time: 29 s one after another,
// 16 s so.
t.jobs = 3;

/** A `rustc` that, for the crate named `slow` and only once, writes its pid to `pidFile` and sleeps `seconds`. */
function slowRustc(seconds = 60): { rustc: string; pidFile: string } {
  const dir = tempDir('slow-rustc');
  const pidFile = join(dir, 'pid');
  const rustc = join(dir, 'rustc');
  const once = join(dir, 'slept');
  writeFileSync(rustc, `#!/bin/sh\ncase " $* " in *" --crate-name slow "*) if [ ! -e '${once}' ]; then : > '${once}'; echo $$ > '${pidFile}'; sleep ${seconds}; fi ;; esac\nexec rustc "$@"\n`, { mode: 0o755 });
  return { rustc, pidFile };
}

/** Once slowRustc is asleep (its pid file whole): that rustc's pid. */
async function sleepingPid(t: Test, pidFile: string): Promise<number> {
  t.ok(await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').endsWith('\n'), 20_000), 'rustc started');
  return Number(readFileSync(pidFile, 'utf8'));
}

/** A store whose daemon runs, and the environment of calls that log their timing to `log`. */
async function startedStore(t: Test): Promise<{ store: Store; log: string; env: NodeJS.ProcessEnv }> {
  const store = new Store();
  t.teardown(() => store.stop());
  await store.splitcache(['server', 'start']);
  const log = join(tempDir('timing'), 'calls.jsonl');
  return { store, log, env: store.env({ SPLITCACHE_TIMING_LOG: log }) };
}

/** The directory the store's daemon keeps its runs' files in: the last field of exec.port. */
const runsDir = (dir: string) => readFileSync(join(dir, 'exec.port'), 'utf8').trim().split(' ').slice(2).join(' ');
const parentOf = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);

t.test('server stop while a call compiles for longer than it waits: it says the daemon is stopping, not stopped, and the daemon ends with the call', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  await store.splitcache(['server', 'start']);
  const daemon = store.daemonPid();
  // 15 s: still compiling when `server stop`'s 10 s wait ends, though that command's own start
  // takes seconds on a loaded machine (12 s left ~2 s of margin: a flaky-test helper's reading).
  const { rustc, pidFile } = slowRustc(15);
  const cwd = printingCrate('compiled through a stop');
  const call = runOnPipes(BIN, [rustc, ...printingCrateArgs(cwd, 'slow')], { cwd, env: store.env() });
  await sleepingPid(t, pidFile);
  const stop = await store.splitcache(['server', 'stop']);
  t.equal(stop.code, 0, 'server stop exits 0');
  t.equal(stop.stdout, `splitcache daemon stopping (pid ${daemon}): it ends once the calls in hand end\n`, 'after its 10 s wait, it says the daemon still runs, and why');
  assertOk(t, await call, 'the call finishes');
  t.ok(await waitFor(() => !alive(daemon), 10_000), 'and the daemon ends after it');
});


t.test('a cargo build goes through the exec port: no node client, every call cached, binaries as plain cargo makes them', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = copyFixture();
  const log = join(tempDir('timing'), 'calls.jsonl');
  const plain = await run('cargo', ['build', '--target-dir', join(ws, 'plain')], { cwd: ws, env: { ...process.env, CARGO_INCREMENTAL: '0' } });
  assertOk(t, plain, 'the plain build succeeds');
  t.equal((await store.splitcache(['server', 'start'])).code, 0, 'the daemon starts');
  t.ok(existsSync(join(store.dir, 'exec.port')), 'and opens its exec port');
  const cold = await store.cargo(ws, ['build'], { SPLITCACHE_TIMING_LOG: log });
  assertOk(t, cold, 'the cold build succeeds');
  t.notMatch(cold.stderr, /jobserver/, "rustc found cargo's jobserver (no warning about it)");
  await store.cargo(ws, ['clean']);
  const warm = await store.cargo(ws, ['build'], { SPLITCACHE_TIMING_LOG: log });
  assertOk(t, warm, 'the warm build succeeds');
  t.match(warm.stderr, /unused variable/, "a lib's warning is replayed on its hit");
  const calls = timingLines(log);
  t.equal(calls.length, 10, 'five calls in each build');
  t.same(calls.filter((c) => c.client !== 'exec'), [], 'every call was carried out by the daemon');
  // The bin, the proc-macro and the build script link, on a miss and on a hit: each link ran on a rustc started ahead.
  t.same(calls.map((c) => c.prestarted !== undefined), calls.map((c) => c.linkedAhead !== undefined), 'every rustc started ahead was linked with');
  t.equal(calls.filter((c) => c.linkedAhead !== undefined).length, 6, 'three links in each build, each on a rustc started ahead');
  const stats = await store.stats();
  t.equal(stats.misses, 5, 'the cold build missed five times');
  t.equal(stats.hits, 5, 'the warm build hit five times');
  t.same(readFileSync(join(ws, 'target/debug/fx-app')), readFileSync(join(ws, 'plain/debug/fx-app')), 'the bin is byte-identical to the plain build');
});

t.test("bash's startup settings from the build's environment (BASH_ENV, SHELLOPTS) don't reach the exec port's bash", async (t) => {
  // Under dash, bin/splitcache runs itself again under bash, which would source $BASH_ENV (CircleCI
  // sets it for every step; `source nvm.sh` in it is common) and take an exported SHELLOPTS.
  const { store, log, env } = await startedStore(t);
  const ws = copyFixture();
  const bashEnv = join(tempDir('bash-env'), 'env.sh');
  writeFileSync(bashEnv, 'echo "from BASH_ENV"\ncd /\n');
  const settings = { BASH_ENV: bashEnv, SHELLOPTS: 'braceexpand:hashall:interactive-comments:xtrace' };
  const r = await run('cargo', ['build'], { cwd: ws, env: { ...env, ...settings } });
  assertOk(t, r, 'the build succeeds (before: `cd /` in BASH_ENV, and every crate failed to find its sources)');
  t.notMatch(r.stdout + r.stderr, /from BASH_ENV|^\+ /m, "nothing of BASH_ENV's output or of bash's trace");
  t.same([...new Set(timingLines(log).map((c) => c.client))], ['exec'], 'every call went through the exec port');
  t.equal((await run(join(ws, 'target', 'debug', 'fx-app'), [])).code, 0, 'and the binary runs');
});

t.test("cargo's jobserver at fd 3 and 4 (as under `make -j`, and from a nightly cargo) reaches rustc through the exec port", async (t) => {
  const { store, log, env } = await startedStore(t);
  const fifo = join(tempDir('jobserver'), 'fifo');
  t.equal(spawnSync('mkfifo', [fifo]).status, 0, 'a FIFO for the jobserver');
  // Two tokens in it, fd 3 to read and fd 4 to write, named in CARGO_MAKEFLAGS as cargo names them.
  const jobserver = `exec 3<>"$0" 4<>"$0"; printf ab >&4; ${ON_PIPES}`;
  const cwd = printingCrate('with a jobserver');
  const call = () => run('/bin/bash', ['-c', jobserver, fifo, BIN, 'rustc', ...printingCrateArgs(cwd)], { cwd, env: { ...env, CARGO_MAKEFLAGS: '-j2 --jobserver-fds=3,4 --jobserver-auth=3,4' } });
  const miss = await call();
  assertOk(t, miss, 'the call builds');
  t.notMatch(miss.stderr, /jobserver/, 'without a word about the jobserver (rustc warns when it cannot use it)');
  rmSync(join(cwd, 'out'), { recursive: true });
  mkdirSync(join(cwd, 'out')); // as cargo makes it: a plain rustc fails to write dep-info into an out dir not there (unlikePlain.ts)
  const hit = await call();
  assertOk(t, hit, 'the call builds again');
  t.equal(hit.stderr, '', 'its hit replays no warning either');
  t.same(timingLines(log).map((c) => c.client), ['exec', 'exec'], 'the daemon carried out both');
  t.same(await store.stats().then((s) => [s.misses, s.hits]), [1, 1], 'a miss, then a hit');
});

t.test('calls the exec port declines go to the node client: SPLITCACHE_CLIENT=node, and a stdout that is a file', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  await store.splitcache(['server', 'start']);
  const log = join(tempDir('timing'), 'calls.jsonl');
  const a = printingCrate('by node');
  const viaNode = await runOnPipes(BIN, ['rustc', ...printingCrateArgs(a)], { cwd: a, env: store.env({ SPLITCACHE_CLIENT: 'node', SPLITCACHE_TIMING_LOG: log }) });
  t.equal(viaNode.code, 0, 'SPLITCACHE_CLIENT=node builds');
  const b = printingCrate('into a file');
  const out = join(b, 'stdout.txt');
  const intoFile = await run('/bin/bash', ['-c', '"$@" > "$OUT" 2>&1', '_', BIN, 'rustc', ...printingCrateArgs(b), '--json=artifacts', '--error-format=json'], {
    cwd: b,
    env: store.env({ SPLITCACHE_TIMING_LOG: log, OUT: out }),
  });
  t.equal(intoFile.code, 0, 'a call whose stdout is a file builds');
  t.match(readFileSync(out, 'utf8'), /"artifact":/, "and rustc's output is in the file");
  t.same(timingLines(log).map((c) => c.client ?? 'node'), ['node', 'node'], 'both ran the node client');
  const c = printingCrate('by the daemon');
  assertOk(t, await runOnPipes(BIN, ['rustc', ...printingCrateArgs(c)], { cwd: c, env: store.env({ SPLITCACHE_TIMING_LOG: log }) }), 'a call on pipes builds');
  t.equal(timingLines(log)[2]?.client, 'exec', 'and the daemon carried it out');
});

t.test("a relative SPLITCACHE_TIMING_LOG is the caller's directory's, on the exec port as in the node client, not the daemon's", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  // The daemon keeps the directory it was started in: another project's, as often as not.
  const elsewhere = tempDir('started-here');
  t.equal((await run(BIN, ['server', 'start'], { cwd: elsewhere, env: store.env() })).code, 0, 'the daemon starts in another directory');
  const byNode = printingCrate('timed by node');
  assertOk(t, await runOnPipes(BIN, ['rustc', ...printingCrateArgs(byNode)], { cwd: byNode, env: store.env({ SPLITCACHE_CLIENT: 'node', SPLITCACHE_TIMING_LOG: 'calls.jsonl' }) }), 'a call through the node client builds');
  const byExec = printingCrate('timed by the daemon');
  assertOk(t, await runOnPipes(BIN, ['rustc', ...printingCrateArgs(byExec)], { cwd: byExec, env: store.env({ SPLITCACHE_TIMING_LOG: 'calls.jsonl' }) }), 'a call through the exec port builds');
  t.same(timingLines(join(byNode, 'calls.jsonl')).map((c) => c.client ?? 'node'), ['node'], "the node client's line is in its call's directory");
  t.same(timingLines(join(byExec, 'calls.jsonl')).map((c) => c.client ?? 'node'), ['exec'], "and so is the exec port's");
  t.notOk(existsSync(join(elsewhere, 'calls.jsonl')), "nothing is written where the daemon was started");
});

t.test("a caller that goes away takes rustc with it: rustc is the caller's child, not the daemon's", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  await store.splitcache(['server', 'start']);
  const { rustc, pidFile } = slowRustc();
  const cwd = printingCrate('never finished');
  const caller = spawn('/bin/bash', ['-c', '"$@" 2> >(cat >&2) | cat', '_', BIN, rustc, ...printingCrateArgs(cwd, 'slow')], { cwd, env: store.env(), stdio: 'ignore', detached: true });
  const pid = await sleepingPid(t, pidFile);
  const parent = parentOf(pid);
  t.not(parent, store.daemonPid(), 'rustc is not the daemon\'s child');
  t.match(readFileSync(`/proc/${parent}/cmdline`, 'utf8'), /bin\/splitcache\0/, 'but bin/splitcache\'s, as under a plain wrapper');
  process.kill(-caller.pid!, 'SIGKILL');
  t.ok(await waitFor(() => !alive(pid), 5000), 'killing the caller killed rustc');
  t.ok(store.daemonPid() > 1, 'and the daemon runs on');
  const runs = runsDir(store.dir);
  t.match(runs, /^\/dev\/shm\/splitcache-\d+-\d+-\d+$/, 'runs keep their files on the tmpfs, in a directory of the daemon\'s own');
  t.ok(await waitFor(() => readdirSync(runs).length === 0, 5000), "the daemon removed the run's files");
  await store.stop();
  t.ok(await waitFor(() => !existsSync(runs), 5000), 'and the directory when it stopped');
});

t.test('a daemon killed under a call: the call finishes what it ran, then builds uncached', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  await store.splitcache(['server', 'start']);
  const { rustc, pidFile } = slowRustc(2);
  const cwd = printingCrate('built anyway');
  const call = runOnPipes(BIN, [rustc, ...printingCrateArgs(cwd, 'slow')], { cwd, env: store.env() });
  const pid = await sleepingPid(t, pidFile);
  const runs = runsDir(store.dir);
  store.killDaemon();
  const r = await call;
  t.equal(r.code, 0, 'the call succeeds');
  t.match(r.stderr, /SPLITCACHE_DAEMON_LOST: the daemon went away during the call of slow \(building it uncached\)/, 'and says why it built uncached, naming the crate (before: "during this call")');
  t.notOk(alive(pid), 'the rustc it ran first has ended');
  const bin = await run(join(cwd, 'out', 'slow-t'), []);
  t.equal(bin.stdout, 'built anyway\n', 'the binary is right');
  // Any new daemon of this user removes it (another test's may have already): a fresh one here must.
  await store.splitcache(['server', 'start']);
  t.notOk(existsSync(runs), "the killed daemon's runs directory is gone once a daemon starts again");
});

t.test("a connection the exec port resets (a daemon exiting with it in its backlog): the call goes on through the node client, and bash says nothing of it", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  await store.splitcache(['server', 'start']);
  // exec.port now names a port whose every connection is reset once its request is in.
  let resets = 0;
  const resetting = createServer((c) => c.once('data', () => { resets++; c.resetAndDestroy(); }));
  await new Promise<void>((res) => resetting.listen(0, '127.0.0.1', () => res()));
  t.teardown(() => new Promise<void>((res) => resetting.close(() => res())));
  const [, token, runs] = readFileSync(join(store.dir, 'exec.port'), 'utf8').trim().split(' ');
  writeFileSync(join(store.dir, 'exec.port'), `${(resetting.address() as AddressInfo).port} ${token} ${runs}\n`);
  const cwd = printingCrate('reset');
  const r = await runOnPipes(BIN, ['rustc', ...printingCrateArgs(cwd)], { cwd, env: store.env() });
  t.equal(resets, 1, 'the call came to the port, and was reset');
  assertOk(t, r, 'the call succeeds');
  t.equal(r.stderr, '', "with nothing on stderr (bash's read said `read error: 0: Connection reset by peer`)");
  t.same((await store.calls()).map((e) => e.outcome), ['miss'], 'served by the daemon through the node client');
});

t.test("a run that can't be set up (the runs directory replaced by a file under the daemon): the call builds plainly, with one line", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  await store.splitcache(['server', 'start']);
  // A directory removed is made again (runsDirNamespaces.test.ts); a file in its place is not.
  const runs = runsDir(store.dir);
  rmSync(runs, { recursive: true, force: true });
  writeFileSync(runs, '');
  t.teardown(() => rmSync(runs, { force: true }));
  const cwd = printingCrate('set up or not');
  const r = await runOnPipes(BIN, ['rustc', ...printingCrateArgs(cwd)], { cwd, env: store.env() });
  t.equal(r.code, 0, 'the call succeeds');
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('splitcache:'));
  t.equal(lines.length, 1, `one line says so: ${lines.join(' | ')}`);
  t.match(lines[0] ?? '', /SPLITCACHE_EXEC_RUN: cannot write a run's arguments/, 'with its code and cause');
  t.equal((await run(join(cwd, 'out', 'trial-t'), [])).stdout, 'set up or not\n', 'the binary is right');
  t.ok(store.daemonPid() > 1, 'and the daemon runs on');
});

t.test('the exec port does nothing for a connection without its token, or for a pid that does not hold the connection', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  await store.splitcache(['server', 'start']);
  const [port, token] = readFileSync(join(store.dir, 'exec.port'), 'utf8').trim().split(' ');
  const marker = join(tempDir('untouched'), 'ran');
  // Another process of the store's owner, on this store, with a socket at fd 3 (node's stdio pipes are socket pairs).
  const bystander = spawn('sleep', ['60'], { stdio: ['ignore', 'ignore', 'ignore', 'pipe'], env: store.env() });
  t.teardown(() => bystander.kill());
  // `header`: the fields between the token and the argument count; by default an `sc-exec/2`
  // caller's, naming another process of the store's owner, which holds no such connection (this one does).
  const ask = (secret: string, magic = 'sc-exec/2', header = [String(bystander.pid), '1', '2', '']) =>
    new Promise<string>((res) => {
      const c = connect(Number(port), '127.0.0.1');
      let got = '';
      c.on('data', (d) => (got += d.toString()));
      c.on('close', () => res(got));
      c.on('error', () => undefined);
      c.write([magic, secret, ...header, '2', '/bin/touch', marker, ''].join('\0'));
      setTimeout(() => c.end(), 3000);
    });
  t.equal(await ask('not-the-token'), '', 'a wrong token: no answer, the connection closed');
  t.equal(await ask(token!), 'ok\nfallback\n', 'the right token from a pid that is not the caller: declined');
  // A caller of this version sends its stat line and the fd it holds the connection at (procCaller.ts).
  const statOf = (pid: number | string) => readFileSync(`/proc/${pid}/stat`, 'latin1').trim();
  const proving = (pid: string, fd: string, stat: string) => ask(token!, 'sc-exec/9', [pid, '1', '2', '', fd, stat]);
  const them = String(bystander.pid);
  t.equal(await proving(them, '3', statOf('self')), 'ok\nfallback\n', "another process's pid with this one's stat line (another start time): declined");
  t.equal(await proving(them, '0', statOf(them)), 'ok\nfallback\n', 'its own stat line, but an fd at which it holds no socket: declined');
  // What a caller in a pid namespace without its own /proc sends: /proc/self names it by its pid outside.
  const renamed = statOf(them).replace(/^\d+ /, `${process.pid} `);
  t.equal(await proving(them, '3', renamed), 'ok\nfallback\n', 'a stat line that names another pid than the one sent: declined');
  t.equal(await proving('99999999', '10', statOf('self')), 'ok\nfallback\n', 'a pid no process has: declined');
  t.equal(await proving(them, '10', ''), 'ok\nfallback\n', 'no stat line: the connection is looked up, and the pid declined');
  t.equal(await proving(them, 'ten', statOf(them)), '', 'an fd that is not a number: no answer');
  t.notOk(existsSync(marker), 'and nothing ran');
  // A run's stderr connection as earlier callers made it (sc-err/1) is no longer taken, token or not:
  // a tee run's stderr comes on its call's own connection.
  const stream = (secret: string) =>
    new Promise<string>((res) => {
      const c = connect(Number(port), '127.0.0.1');
      const open = setTimeout(() => (c.destroy(), res('left open')), 3000);
      c.on('close', () => (clearTimeout(open), res('closed')));
      c.on('error', () => undefined);
      c.write(['sc-err/1', secret, '1', 'bytes for no one'].join('\0'));
    });
  t.equal(await stream('not-the-token'), 'closed', 'a stream with a wrong token: closed');
  t.equal(await stream(token!), 'closed', 'one with the token: closed too');
  const stats = await store.stats();
  t.equal(stats.misses + stats.hits, 0, 'nothing was looked up');
});

t.test("through the exec port: half a megabyte of warnings relayed and replayed byte for byte, rustc's exit codes kept", async (t) => {
  const { store, log, env } = await startedStore(t);
  // 1,500 unused variables: the daemon's writes to the caller's pipe outrun cargo's reads many times over.
  const lets = Array.from({ length: 1500 }, (_, i) => `let unused${i} = ${i};`).join(' ');
  const cwd = printingCrate('warned');
  writeFileSync(join(cwd, 'src/main.rs'), `fn main() { ${lets} println!("warned"); }\n`);
  const plain = await runOnPipes('rustc', printingCrateArgs(cwd), { cwd, env: process.env });
  const miss = await runOnPipes(BIN, ['rustc', ...printingCrateArgs(cwd)], { cwd, env });
  const hit = await runOnPipes(BIN, ['rustc', ...printingCrateArgs(cwd)], { cwd, env });
  t.equal(miss.code, 0, 'the miss succeeds');
  t.ok(plain.stderr.length > 300_000, `rustc warns at length (${plain.stderr.length} bytes)`);
  t.equal(miss.stderr, plain.stderr, "the miss relays rustc's stderr whole");
  t.equal(hit.stderr, plain.stderr, 'the hit replays it whole');
  const dir = tempDir('exit-codes');
  const killed = join(dir, 'rustc');
  writeFileSync(killed, '#!/bin/sh\nkill -KILL $$\n', { mode: 0o755 });
  const r137 = await runOnPipes(BIN, [killed, ...printingCrateArgs(cwd, 'sig')], { cwd, env });
  t.equal(r137.code, 137, 'a rustc killed by SIGKILL: 137, as a shell reports it');
  const r127 = await runOnPipes(BIN, [join(dir, 'none', 'rustc'), ...printingCrateArgs(cwd, 'gone')], { cwd, env });
  t.equal(r127.code, 127, 'a rustc that does not exist: 127');
  t.match(r127.stderr, /^splitcache: cannot run \S*none\/rustc: no such file\n$/, 'saying so');
  t.same([...new Set(timingLines(log).map((c) => c.client))], ['exec'], 'every call went through the exec port');
});

t.test('a rustc started ahead for a link: unused after a compile error, and not used for arguments an @file would change', async (t) => {
  const { store, log, env } = await startedStore(t);
  const broken = oneFileCrate('fn main() { let x: u32 = "not a number"; }\n');
  const failed = await runOnPipes(BIN, ['rustc', ...printingCrateArgs(broken)], { cwd: broken, env });
  t.equal(failed.code, 1, "rustc's compile error, exit code 1");
  t.match(failed.stderr, /mismatched types/, 'and its diagnostic');
  t.ok(timingLines(log)[0]?.prestarted !== undefined, 'a rustc was started ahead for its link');
  t.same(rustcsIn(broken), [], 'and is gone once the call has ended');
  const runs = runsDir(store.dir);
  t.ok(await waitFor(() => readdirSync(runs).length === 0, 5000), 'its files too');
  // A --cfg value with a newline: rustc takes it on its command line, but it would be two lines of an @file.
  const cwd = printingCrate('one argument, two lines');
  const args = [...printingCrateArgs(cwd), '--cfg', 'x="a\nb"', '--check-cfg', 'cfg(x, values(any()))'];
  for (const round of ['miss', 'hit']) {
    const r = await runOnPipes(BIN, ['rustc', ...args], { cwd, env });
    assertOk(t, r, `the ${round} builds`);
    t.equal((await run(join(cwd, 'out', 'trial-t'), [])).stdout, 'one argument, two lines\n', `the ${round}'s binary is right`);
  }
  const [miss, hit] = timingLines(log).slice(1);
  t.ok(miss?.prestarted !== undefined && hit?.prestarted !== undefined, 'both started a rustc ahead');
  t.ok(miss?.linkedAhead === undefined && hit?.linkedAhead === undefined, 'and linked without it');
  t.equal((await store.stats()).hits, 1, 'the second call hit');
});

/** rustc processes (started ahead: `rustc @/dev/fd/N`) whose working directory is `cwd`. */
function rustcsIn(cwd: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (/rustc$/.test(argv[0]!) && argv[1]?.startsWith('@/dev/fd/') && readlinkSync(`/proc/${name}/cwd`) === cwd && alive(Number(name))) found.push(Number(name));
    } catch {
      /* gone meanwhile */
    }
  }
  return found;
}

t.test('a rustc ended by a signal (a Ctrl-C) is counted as interrupted, not as a compile error, by either client', async (t) => {
  const { store, env } = await startedStore(t);
  const bin = tempDir('int-rustc');
  const rustc = join(bin, 'rustc');
  // A compile is interrupted; the daemon's `-vV` probe of this rustc is answered.
  writeFileSync(rustc, '#!/bin/sh\ncase " $* " in *" --crate-name "*) kill -INT $$ ;; esac\nexec rustc "$@"\n', { mode: 0o755 });
  const exec = printingCrate('interrupted');
  const viaExec = await runOnPipes(BIN, [rustc, ...printingCrateArgs(exec)], { cwd: exec, env });
  t.equal(viaExec.code, 130, 'through the exec port: 128 + SIGINT, as the shell reports it');
  const node = printingCrate('interrupted too');
  const viaNode = await runOnPipes(BIN, [rustc, ...printingCrateArgs(node)], { cwd: node, env: { ...env, SPLITCACHE_CLIENT: 'node' } });
  t.equal(viaNode.code, 130, 'through the node client: the same');
  const stats = (await store.stats()) as Awaited<ReturnType<Store['stats']>> & { notStored: Record<string, number> };
  t.equal(stats.compileErrors, 0, 'no compile error counted');
  t.equal(stats.notStored.interrupted, 2, 'two interrupted misses');
});
