import t, { type Test } from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runningDaemonPid } from '../src/daemonPid.js';
import { BUSY_MAX_MS } from '../src/daemonWatch.js';
import { ALIVE_MS, SILENCE_MS } from '@splitcache/daemon/protocol';
import { BIN, ON_PIPES, ROOT, oneFileCrate, printingCrate, printingCrateArgs, realRustc, run, runOnPipes, Store, tempDir, waitFor } from './helpers.js';
import { runningStore, STOPS, stoppingRustc } from './hungHelpers.js';

// A daemon that is alive but sends nothing (stopped here with SIGSTOP; in the
// field, an event loop blocked on a hung file system, say) would hold up
// every call of every build. A call that hears nothing from it for 10 s
// (protocol.ts, SILENCE_MS) kills it and builds uncached; the next call
// starts another daemon, and the store is as it was.

// Each case has a store and daemon of its own, and spends most of its time waiting out a silence
// (asleep, not on a CPU): all thirteen at once, the file takes 20 s (four at a time, 42 s), and
// each call still gives up 10.1-10.6 s after its daemon stopped, against the 20 s bound below.
t.jobs = 13;

const HUNG = /^splitcache: SPLITCACHE_DAEMON_UNRESPONSIVE: the daemon sent nothing for 10 s \(paused by a signal\), and was stopped[^\n]*\n$/;

/** Stops the store's daemon as a hang would leave it; returns its pid. */
function hang(store: Store): number {
  const pid = store.daemonPid();
  process.kill(pid, 'SIGSTOP');
  return pid;
}

/** Checks that the daemon `pid` is gone (killed: the store's daemon.pid names no live daemon of that pid). */
async function killed(t: Test, store: Store, pid: number): Promise<void> {
  t.ok(await waitFor(() => runningDaemonPid(store.dir) !== pid), 'the hung daemon is gone');
}

/** From now on, notes when the daemon `pid` stops being the store's live daemon (killed). */
function deathOf(store: Store, pid: number): () => number | undefined {
  let at: number | undefined;
  const poll = setInterval(() => {
    if (runningDaemonPid(store.dir) !== pid) (at = Date.now()), clearInterval(poll);
  }, 50);
  return () => (clearInterval(poll), at);
}

/**
 * Checks that a call gave up on the hung daemon `pid`: one line (`line`),
 * after one silence of 10 s and not two (bash's, then a node client's, as
 * when bash fell back to the client), and the daemon killed. Timed from the
 * stop (`stoppedAt`) to the kill (`diedAt`, from deathOf): the call's own wall
 * time also holds its compiles (the half before the stop, the plain rustc
 * after the give-up), which a loaded machine stretched past any bound that
 * would still tell one silence from two (19.0 and 21.5 s at load 14-18, up to 25.8 s at load 20).
 */
async function gaveUp(t: Test, store: Store, pid: number, call: { stderr: string; ms: number }, stoppedAt: number, diedAt: () => number | undefined, line = HUNG): Promise<void> {
  t.match(call.stderr, line, 'one line says why');
  await killed(t, store, pid);
  const died = diedAt() ?? Date.now();
  // One silence is 10 s from when the caller waits on the daemon (after the -Zno-link half's compile, where
  // the stop came as it started: 17.1 s after the stop at load 20); a second (a node client's after bash's) is 20 s more.
  t.ok(died - stoppedAt < 20_000, `it gave up after one silence: the daemon was killed ${Math.round(died - stoppedAt)} ms after it stopped (the call took ${call.ms} ms)`);
}

/**
 * Builds `cwd`'s crate through the wrapper and checks the binary; returns the call's stderr, how
 * long it took, and whether a node client carried it. On pipes, as cargo gives them, a call goes
 * to the exec port; `SPLITCACHE_CLIENT=node` sends it to the node client. Under timeout(1): a
 * call that never ends fails the test rather than holding it up.
 */
async function build(t: Test, store: Store, rustc: string, cwd: string, text: string, extra: NodeJS.ProcessEnv = {}): Promise<{ stderr: string; ms: number; nodeClient: boolean }> {
  const log = join(tempDir('timing'), 'calls.jsonl');
  const t0 = Date.now();
  const r = await runOnPipes('timeout', ['60', BIN, rustc, ...printingCrateArgs(cwd)], { cwd, env: store.env({ SPLITCACHE_TIMING_LOG: log, ...extra }) });
  const ms = Date.now() - t0;
  t.equal(r.code, 0, `the call builds (${r.stderr.slice(-400)})`);
  t.equal(spawnSync(join(cwd, 'out', 'trial-t'), { encoding: 'utf8' }).stdout, `${text}\n`, 'and its binary is right');
  // The node client writes a timing line for each call it carries (with how it spawned rustc); bash writes none.
  const nodeClient = existsSync(log) && readFileSync(log, 'utf8').includes('"spawn"');
  return { stderr: r.stderr, ms, nodeClient };
}

t.test('a call on the exec port to a daemon that never answers kills it, builds uncached, and the next call hits', async (t) => {
  const rustc = await realRustc();
  const first = printingCrate('first');
  const store = await runningStore(t, rustc, first);
  const pid = hang(store);
  const stoppedAt = Date.now();
  const diedAt = deathOf(store, pid);

  const call = await build(t, store, rustc, printingCrate('while hung'), 'while hung');
  t.notOk(call.nodeClient, 'bash carried the call: no node client ran');
  await gaveUp(t, store, pid, call, stoppedAt, diedAt);

  // A new daemon, and nothing lost: the first crate, built again, hits.
  await build(t, store, rustc, first, 'first');
  t.not(store.daemonPid(), pid, 'another daemon serves');
  const s = await store.stats();
  t.equal(s.hits, 1, 'the entry stored before the hang is served');
});

// The converse: a daemon that beats every second is not taken for hung, however long a miss's
// rustc runs. The watchdog beside it (bin/splitcache, sc_watch) read with `read -t 1`, each read
// begun as the last ended: its deadline fell in step with the beats, and a read that took a beat
// just as its deadline passed said it had timed out. Ten in a row killed a live daemon: a call
// like this one's (a 16 s compile) lost it in 4 of 9 calls on an idle machine, and a release
// build's fat-LTO bin (18 s) in most builds. The race is the machine's timing, so this test can
// pass on a watchdog that has it; the next one checks what keeps it out.
t.test('a miss whose rustc runs longer than the silence limit keeps its daemon, which is not taken for hung', async (t) => {
  const real = await realRustc();
  const store = await runningStore(t, real);
  const daemon = store.daemonPid();
  const slow = join(tempDir('rustc'), 'rustc-slow');
  writeFileSync(slow, `#!/bin/sh\ncase " $* " in *" -Zno-link "*) sleep 16 ;; esac\nexec '${real}' "$@"\n`, { mode: 0o755 });
  const cwd = printingCrate('long compile');
  const r = await runOnPipes('timeout', ['60', BIN, slow, ...printingCrateArgs(cwd)], { cwd, env: store.env() });
  t.equal(r.code, 0, 'the call builds');
  t.equal(r.stderr, '', 'and says nothing: its daemon was not taken for hung');
  t.equal(spawnSync(join(cwd, 'out', 'trial-t'), { encoding: 'utf8' }).stdout, 'long compile\n', 'its binary is right');
  t.equal(store.daemonPid(), daemon, 'the daemon that served it still runs');
  const again = await runOnPipes(BIN, [slow, ...printingCrateArgs(cwd)], { cwd, env: store.env() });
  t.equal(again.code, 0, 'built again, it succeeds');
  t.equal((await store.stats()).hits, 1, 'from what its miss stored');
});

t.test("the watchdog's reads wait twice the daemon's beat, and as many as make the silence limit, or the busy daemon's", async (t) => {
  const script = readFileSync(BIN, 'utf8');
  const watch = /\n\s*sc_watch\(\) \{\n[\s\S]*?\n\s*while :; do\n[^\n]*\n\s*if read -r -t (\d+) b <&"\$sc"; then n=0 m=0\n[\s\S]*?\n\s*if \[ \$n -ge (\d+) \]; then\n[\s\S]*?\n\s*if \[ \$m -ge (\d+) \]; then sc_why 1; break; fi\n/.exec(script);
  t.ok(watch, "bin/splitcache's sc_watch reads in a loop as this test expects");
  const [seconds, reads, busyReads] = [Number(watch?.[1]), Number(watch?.[2]), Number(watch?.[3])];
  t.ok(seconds * 1000 >= 2 * ALIVE_MS, `each read waits ${seconds} s, at least two beats (${ALIVE_MS} ms apart): a read never ends near a beat`);
  t.equal(reads * seconds * 1000, SILENCE_MS, `${reads} timeouts in a row are the silence limit`);
  t.equal(busyReads * seconds * 1000, BUSY_MAX_MS, `${busyReads} are the limit for a daemon seen working`);
  const line = /\n\s*if \[ \$sc_hung_for -ge (\d+) \]; then sc_why 1; break; fi\n/.exec(script);
  t.equal(Number(line?.[1]) * 1000, BUSY_MAX_MS, "and sc_line's wait for a daemon seen working ends as the node client's");
});

// A rustc that stops the daemon once during the call: as the -Zno-link half starts (the
// daemon then owes the caller the link step), or once the link step's rustc has linked (it
// owes the call's end, and the .rlink's removal). The link step's rustc is started ahead, its
// arguments read from `@/dev/fd/N`.
for (const stop of STOPS) {
  t.test(`a daemon that hangs in the middle of a call (${stop.when}): the call builds uncached, and leaves no .rlink`, async (t) => {
    const real = await realRustc();
    const store = await runningStore(t, real);
    const { rustc, once } = stoppingRustc(store, real, stop);
    const pid = store.daemonPid();
    const diedAt = deathOf(store, pid);
    const crate = printingCrate('mid-call');
    const call = await build(t, store, rustc, crate, 'mid-call');
    t.ok(existsSync(once), 'the daemon was stopped during the call');
    t.notOk(call.nodeClient, 'bash carried the call: no node client ran');
    // Stopped when the marker was made (its mtime), just before the kill -STOP.
    await gaveUp(t, store, pid, call, statSync(once).mtimeMs, diedAt);
    // The plain rustc after the give-up writes no .rlink; the split's half that ran wrote one, which the call removes.
    t.same(readdirSync(join(crate, 'out')).filter((f) => f.endsWith('.rlink')), [], 'no .rlink is left in the out-dir');
  });
}

// A miss's stderr reaches cargo through the daemon (on the call's connection): a rustc that writes more of it
// than the loopback socket holds blocks in write(2) while the daemon is stopped, and bash, waiting
// for that rustc, heard nothing. Before, such a call waited forever when no other call of the build
// gave up on the daemon (this one ran into its timeout(1)). 4,000 unused variables give ~6 MB of
// JSON diagnostics, as cargo asks for them. Its watchdog kills the daemon, which ends rustc's
// write, and rustc's end has the script kill the watchdog: on a busy machine that came first, once,
// before the watchdog's exit said what it had done, and the call took the daemon for lost. A copy
// of bin/splitcache whose watchdog waits 2 s there has it come first every time.
const WATCHDOGS = [
  { name: 'bin/splitcache', bin: () => BIN },
  { name: 'its watchdog killed by the script between its kill and its exit', bin: slowWatchdogBin },
];

/** A copy of bin/splitcache (beside a link to the packages) whose watchdog sleeps 2 s after it kills the daemon. */
function slowWatchdogBin(): string {
  const root = tempDir('slow-watchdog');
  mkdirSync(join(root, 'bin'));
  symlinkSync(join(ROOT, 'packages'), join(root, 'packages'));
  const script = readFileSync(BIN, 'utf8');
  const exit = '          sc_kill_hung\n          exit 3\n';
  if (script.split(exit).length !== 2) throw new Error(`bin/splitcache's watchdog no longer ends with: ${exit}`);
  writeFileSync(join(root, 'bin', 'splitcache'), script.replace(exit, '          sc_kill_hung\n          sleep 2\n          exit 3\n'), { mode: 0o755 });
  return join(root, 'bin', 'splitcache');
}

for (const watchdog of WATCHDOGS) {
  t.test(`a daemon that hangs while a miss writes megabytes of stderr (${watchdog.name}): the call builds uncached in ~10 s`, async (t) => {
    const real = await realRustc();
    const store = await runningStore(t, real);
    const bin = tempDir('rustc');
    const rustc = join(bin, 'rustc');
    const once = join(bin, 'stopped');
    // The -Zno-link half (the tee run) stops the daemon once, then compiles; the link step, started
    // ahead as `rustc @/dev/fd/N`, names no --crate-name on its command line.
    writeFileSync(rustc, `#!/bin/sh\ncase " $* " in *" --crate-name "*) if [ ! -e '${once}' ]; then : > '${once}'; kill -STOP "$(cat '${join(store.dir, 'daemon.pid')}')"; fi ;; esac\nexec '${real}' "$@"\n`, { mode: 0o755 });
    const lets = Array.from({ length: 4000 }, (_, i) => `    let unused_${i} = ${i};\n`).join('');
    const cwd = oneFileCrate(`fn main() {\n    println!("noisy");\n${lets}}\n`);
    const pid = store.daemonPid();
    const json = ['--error-format=json', '--json=diagnostic-rendered-ansi,artifacts,future-incompat'];
    // Where nothing else gives up on it (the code before this test's), the stopped daemon is killed
    // after 30 s, so that the call fails the checks below rather than hold the test up: timeout(1)
    // alone did not end it, the daemon holding the caller's stderr pipe open.
    const rescue = setTimeout(() => process.kill(pid, 'SIGKILL'), 30_000);
    const diedAt = deathOf(store, pid);
    const t0 = Date.now();
    const r = await runOnPipes('timeout', ['45', watchdog.bin(), rustc, ...printingCrateArgs(cwd), ...json], { cwd, env: store.env() });
    const ms = Date.now() - t0;
    clearTimeout(rescue);
    t.ok(existsSync(once), 'the daemon was stopped during the call');
    t.equal(r.code, 0, `the call builds (exit ${r.code}, after ${ms} ms)`);
    // Timed from the stop to the kill: the call's wall time also holds two compiles of this crate (22.9 and 24.8 s at load 20).
    await killed(t, store, pid);
    const died = (diedAt() ?? Date.now()) - statSync(once).mtimeMs;
    t.ok(died < 20_000, `the daemon was killed ${Math.round(died)} ms after it stopped, within 20 s (the call took ${ms} ms)`);
    t.ok(r.stderr.length > 1_000_000, `rustc wrote megabytes of diagnostics (${r.stderr.length} bytes reached the caller)`);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('splitcache:'));
    t.equal(lines.length, 1, `one line of splitcache's (${lines.join(' | ')})`);
    t.match(`${lines[0]}\n`, HUNG, 'it says why');
    // The watchdog killed the daemon: that path names the call too (hungDaemonCrate.test.ts covers the others).
    t.match(lines[0], / was stopped during the call of trial \(building it uncached\)$/, 'and of which call');
    t.equal(spawnSync(join(cwd, 'out', 'trial-t'), { encoding: 'utf8' }).stdout, 'noisy\n', 'its binary is right');
    await killed(t, store, pid);
  });
}

t.test('the node client gives up on a hung daemon the same way', async (t) => {
  const rustc = await realRustc();
  const store = await runningStore(t, rustc);
  const pid = hang(store);
  const stoppedAt = Date.now();
  const diedAt = deathOf(store, pid);
  const call = await build(t, store, rustc, printingCrate('node client'), 'node client', { SPLITCACHE_CLIENT: 'node' });
  t.ok(call.nodeClient, 'the node client carried the call');
  await gaveUp(t, store, pid, call, stoppedAt, diedAt, /^splitcache: SPLITCACHE_DAEMON_UNRESPONSIVE: the daemon sent nothing for 10 s \(paused by a signal\), and was stopped \(building uncached\)\n$/);
});

t.test('`splitcache server stop` stops a hung daemon, and says so', async (t) => {
  const rustc = await realRustc();
  const store = await runningStore(t, rustc);
  const pid = hang(store);
  const r = await store.splitcache(['server', 'stop']);
  t.equal(r.code, 0, 'it exits 0: the daemon is stopped');
  t.match(r.stderr, /^splitcache: SPLITCACHE_DAEMON_UNRESPONSIVE: the daemon sent nothing for 10 s \(paused by a signal\), and was stopped\n$/);
  await killed(t, store, pid);
  t.notOk(readFileSync(join(store.dir, 'daemon.log'), 'utf8').includes('SPLITCACHE_STORE_CORRUPT'), 'no store fault logged');
});

/**
 * How a caller is paused for 11 s while it waits on the daemon: alone, while the daemon answers
 * (a loaded machine: its timer is due when it runs again, before it reads what came); or with the
 * daemon (a machine paused: a VM whose host was busy, a laptop asleep), the daemon going on 300 ms
 * after the caller, so its answer comes only after the caller's timer is due.
 */
const PAUSES = [
  { name: 'a caller that got no CPU for 10 s while the daemon answered reads the answer', machine: false },
  { name: 'a caller paused for 10 s with the daemon hears from it once both run again', machine: true },
];

async function pause(t: Test, caller: number, daemon: number, machine: boolean): Promise<void> {
  process.kill(caller, 'SIGSTOP');
  if (!machine) process.kill(daemon, 'SIGCONT');
  await new Promise((r) => setTimeout(r, 11_000));
  // Still there, and still the caller: a process that was already ending when it was stopped, or
  // one killed while stopped, is gone by now, and the pause proved nothing.
  t.equal(procState(caller), 'T', `the caller (${caller}) was stopped all along: ${readFile(`/proc/${caller}/cmdline`).split('\0').join(' ')}`);
  try {
    process.kill(caller, 'SIGCONT');
  } catch {
    /* gone: failed above */
  }
  if (machine) {
    await new Promise((r) => setTimeout(r, 300));
    process.kill(daemon, 'SIGCONT');
  }
}

/** The state letter of /proc/<pid>/stat (`T`: stopped), or `gone`. */
function procState(pid: number): string {
  const stat = readFile(`/proc/${pid}/stat`);
  return stat ? stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) : 'gone';
}

for (const { name, machine } of PAUSES) {
  t.test(`${name}: the daemon is not taken for hung (node client)`, async (t) => {
    const rustc = await realRustc();
    const store = await runningStore(t, rustc);
    const pid = hang(store);
    // In a session of its own (detached: setsid), as for the bash caller below: a stopped process in
    // this test's process group got SIGHUP then SIGCONT from the kernel when another process's exit
    // left that group orphaned (POSIX), and died of the SIGHUP within the pause (2 full runs of 2 here).
    const client = spawn(BIN, ['stats', '--json'], { env: store.env(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let [stdout, stderr] = ['', ''];
    client.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    client.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const ended = new Promise<number | null>((res) => client.on('close', (code) => res(code)));
    // Its request sent: the connection to the daemon's socket is open (its stdout and stderr, from node, are sockets too).
    const connected = () => readdirSync(`/proc/${client.pid}/fd`).some((fd) => Number(fd) > 2 && readLink(`/proc/${client.pid}/fd/${fd}`).startsWith('socket:'));
    t.ok(await waitFor(connected, 10_000), 'the client has connected');
    await new Promise((r) => setTimeout(r, 500));
    await pause(t, client.pid!, pid, machine);
    t.equal(await ended, 0, `the client exits 0 (${stderr.trim()})`);
    t.equal(stderr, '', 'and says nothing of a hung daemon');
    t.ok('hits' in JSON.parse(stdout), 'it printed the stats');
    t.equal(runningDaemonPid(store.dir), pid, 'the daemon still runs');
  });

  t.test(`${name}: the daemon is not taken for hung (the exec port, bash)`, async (t) => {
    const rustc = await realRustc();
    const store = await runningStore(t, rustc);
    const pid = hang(store);
    const cwd = printingCrate('asleep');
    const call = run('setsid', ['-w', '/bin/bash', '-c', ON_PIPES, '_', BIN, rustc, ...printingCrateArgs(cwd)], { cwd, env: store.env() });
    // The bash running bin/splitcache for this crate (`bash -p BIN …`, as the script runs itself again
    // under bash), once it holds its connection to the exec port (at a descriptor bash picks above 9;
    // its stdin, from node, is a socket too). Not a subshell it
    // forks (the process substitution that becomes a rustc started ahead has the same command line
    // and descriptors until it execs): picked on a loaded machine, that one was stopped instead,
    // then killed by the caller once it had no use for it, and the caller itself never paused.
    const callerLike = (p: string) => {
      const argv = readFile(`/proc/${p}/cmdline`).split('\0');
      return /bash$/.test(argv[0]!) && argv[1] === '-p' && argv[2] === BIN && argv.some((a) => a.includes(cwd));
    };
    const parentOf = (p: string) => /^\d+ \(.*\) \S (\d+)/.exec(readFile(`/proc/${p}/stat`))?.[1] ?? '';
    const caller = () => readdirSync('/proc').filter((p) => /^\d+$/.test(p)).find((p) => {
      if (!callerLike(p) || callerLike(parentOf(p))) return false;
      return readDir(`/proc/${p}/fd`).some((fd) => Number(fd) > 9 && readLink(`/proc/${p}/fd/${fd}`).startsWith('socket:'));
    });
    t.ok(await waitFor(() => caller() !== undefined, 10_000), 'the call has connected to the exec port');
    const bash = Number(caller());
    await new Promise((r) => setTimeout(r, 500));
    await pause(t, bash, pid, machine);
    const r = await call;
    t.equal(r.code, 0, 'the call builds');
    t.equal(r.stderr, '', 'and says nothing of a hung daemon');
    t.equal(spawnSync(join(cwd, 'out', 'trial-t'), { encoding: 'utf8' }).stdout, 'asleep\n', 'its binary is right');
    t.equal(runningDaemonPid(store.dir), pid, 'the daemon still runs');
    const calls = await store.calls();
    t.equal(calls.length, 2, `and it carried the call: two calls looked up, the first and this (${calls.map((e) => e.outcome).join(', ')})`);
  });
}

/** /proc reads of processes that may be gone meanwhile: empty then. */
function readLink(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return '';
  }
}
function readFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
function readDir(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}
