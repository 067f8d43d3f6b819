import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFailedPaths } from '@splitcache/daemon/protocol';
import { assertOk, BIN, copyFixture, copyInstall, DAEMON_MAIN, ON_PIPES, tmpfsDir, printingCrate, printingCrateArgs, run, Store, tempDir, waitFor } from './helpers.js';

// Issue 7: crashes, concurrency and a full disk. Nothing partial is served,
// nothing is lost, no build fails because of the cache.

/** cargo's shape: an absolute out-dir inside the crate's directory (so another copy has the same key). */
const args = (cwd: string) => printingCrateArgs(cwd);
const crate = printingCrate;

function rustc(store: Store, cwd: string, detached = false) {
  return spawn(BIN, ['rustc', ...args(cwd)], { cwd, env: store.env(), stdio: ['ignore', 'pipe', 'pipe'], detached });
}

/** daemon.log's warnings (a fault, its event loop held up), the last 12. */
function warnings(store: Store): string[] {
  return store.daemonLog().split('\n').filter((l) => / warn /.test(l)).slice(-12);
}

/** xorshift32: the trials are reproducible from their seed. */
function prng(seed: number) {
  let x = seed || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

t.test('kill -9 of the client or the daemon at random points: nothing partial is served', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const seed = Number(process.env.SPLITCACHE_TRIAL_SEED ?? 20261121);
  const trials = Number(process.env.SPLITCACHE_TRIALS ?? 50);
  const random = prng(seed);
  let killedClient = 0;
  let killedDaemon = 0;
  for (let i = 0; i < trials; i++) {
    const text = `trial ${i % 7}`; // repeats: some trials store, some replay
    const child = rustc(store, crate(text), true);
    const exited = new Promise((r) => child.on('close', r));
    await new Promise((r) => setTimeout(r, Math.floor(random() * 700)));
    if (random() < 0.5) {
      try {
        process.kill(-child.pid!, 'SIGKILL');
        killedClient++;
      } catch {
        /* already done */
      }
    } else if (existsSync(join(store.dir, 'daemon.pid'))) {
      try {
        store.killDaemon();
        killedDaemon++;
      } catch {
        /* already gone */
      }
    }
    await exited;
    // The next compile of the same crate, anywhere, must be correct.
    const again = crate(text);
    const r = spawnSync(BIN, ['rustc', ...args(again)], { cwd: again, env: store.env(), encoding: 'utf8' });
    if (r.status !== 0) t.fail(`trial ${i} (seed ${seed}): the next compile failed: ${r.stderr}`);
    const out = spawnSync(join(again, 'out', 'trial-t'), { encoding: 'utf8' });
    if (out.stdout !== `${text}\n`) t.fail(`trial ${i} (seed ${seed}): the binary printed ${JSON.stringify(out.stdout)}`);
    rmSync(again, { recursive: true, force: true });
  }
  t.ok(killedClient + killedDaemon >= trials * 0.6, `${killedClient} client and ${killedDaemon} daemon kills in ${trials} trials`);
  const events = await store.audit();
  t.ok(events.some((e) => e.outcome === 'hit'), 'trials replayed stored entries');
  t.ok(events.some((e) => e.outcome === 'miss' && e.entryKey), 'and stored new ones');
  const v = await store.splitcache(['audit', 'verify', '--json']);
  t.equal(v.code, 0, 'the store passes audit verify');
  t.same(JSON.parse(v.stdout).badBlobs, []);
});

t.test('64 concurrent clients storing and fetching the same key', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  await store.splitcache(['server', 'start']);
  t.ok(await waitFor(() => existsSync(join(store.dir, 'exec.port'))), 'the daemon has its exec port');
  const dirs = Array.from({ length: 64 }, () => crate('many'));
  const timing = join(tempDir('timing'), 'calls.jsonl');
  const env = store.env({ SPLITCACHE_TIMING_LOG: timing });
  const lines: string[] = [];
  // Both ways in: half the calls on pipes, as cargo gives them, reach the exec port (bash); the
  // others, on node's sockets, run the node client (the way of a build's first calls).
  const codes = await Promise.all(
    dirs.map((d, i) => new Promise<number>((res) => {
      const [cmd, argv] = i % 2 === 0 ? [BIN, ['rustc', ...args(d)]] : ['/bin/bash', ['-c', ON_PIPES, '_', BIN, 'rustc', ...args(d)]];
      const child = spawn(cmd, argv, { cwd: d, env, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stderr.on('data', (b: Buffer) => lines.push(...b.toString().split('\n').filter((l) => l.startsWith('splitcache:'))));
      child.on('close', (c) => res(c ?? -1));
    })),
  );
  t.same([...new Set(codes)], [0], 'all 64 compiles succeeded');
  for (const d of dirs) {
    if (spawnSync(join(d, 'out', 'trial-t'), { encoding: 'utf8' }).stdout !== 'many\n') t.fail(`${d}: wrong binary`);
  }
  // On a failure, what CI's short tail can hold: each line once with its count, and what the daemon warned of.
  const said = [...new Set(lines)].map((l) => `${lines.filter((x) => x === l).length}x ${l}`);
  if (!t.same(said, [], 'none said anything of splitcache (a fault, a daemon taken for hung)', { daemonWarned: warnings(store) })) t.comment(store.daemonLog(3000));
  const clients = readFileSync(timing, 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { client?: string }).client);
  t.equal(clients.filter((c) => c === 'exec').length, 32, 'half came through the exec port');
  const s = await store.stats();
  // What a failure needs to be understood (seen once in CI, under load: 10 misses and no entry).
  if (!t.equal(s.hits + s.misses, 64, `stats add up (${s.hits} hits, ${s.misses} misses)`)) t.comment(JSON.stringify(s.passthrough), store.daemonLog(3000));
  t.same(s.notStored, {}, `every miss was stored (${s.hits} hits, ${s.misses} misses)`);
  t.same(s.errors, {}, 'no lock errors or cache faults');
  t.same(readdirSync(join(store.dir, 'blobs', 'tmp')), [], 'no torn temp files');
  const v = await store.splitcache(['audit', 'verify', '--json']);
  t.equal(JSON.parse(v.stdout).entries, 1, 'one entry: concurrent stores of the same result were merged');
  t.equal(v.code, 0, 'and it verifies');
});

const small = tmpfsDir('small-fs', 'size=640k');
const mounted = small !== undefined;
const mnt = small ?? tempDir('small-fs');

t.test('a full disk: builds succeed uncached and the error is reported once', { skip: !mounted && 'cannot mount a size-limited tmpfs here (needs root)' }, async (t) => {
  t.teardown(() => void spawnSync('umount', ['-l', mnt]));
  const store = new Store();
  store.dir = join(mnt, 'store');
  t.teardown(() => store.stop());
  const ws = copyFixture();
  const r = await store.cargo(ws, ['build', '--all-targets']);
  assertOk(t, r, 'the build succeeds on a full disk');
  const lines = r.stderr.split('\n').filter((l) => /splitcache: SPLITCACHE_/.test(l));
  t.equal(lines.length, 1, `one line reports it: ${lines.join(' | ')}`);
  if (!t.match(lines[0] ?? '', /SPLITCACHE_STORE_FULL/)) {
    // Seen once in CI (a daemon that never answered on this disk): keep what the daemon said, before the unmount.
    t.comment(`daemon.log:\n${store.daemonLog()}`);
  }
  // Before: `(building uncached)`, though the crate had compiled and only its store failed; lookups went on.
  t.match(lines[0] ?? '', /\(the result of \S+ is not stored; the build goes on\)$/, 'saying what it cost: a result not stored');
  t.match((await run(join(ws, 'target/debug/fx-app'), [])).stdout, /double=42/, 'and the binary is right');
  const s = await store.stats();
  t.ok((s.errors.SPLITCACHE_STORE_FULL ?? 0) >= 1, 'counted');
  // Nothing half-written is served: a second build after a clean is still correct.
  await store.cargo(ws, ['clean']);
  assertOk(t, await store.cargo(ws, ['build', '--all-targets']), 'the next build succeeds too');
  t.match((await run(join(ws, 'target/debug/fx-app'), [])).stdout, /double=42/);
});

const full = mounted ? tmpfsDir('full-fs', 'size=4m') : undefined;
const mounted2 = full !== undefined;
const mnt2 = full ?? tempDir('full-fs');

/** One compile of `crate(text)` through the wrapper, in a new directory: its stderr, and what the binary printed. */
function compileOnce(store: Store, text: string, extra: NodeJS.ProcessEnv = {}) {
  const cwd = crate(text);
  const r = spawnSync(BIN, ['rustc', ...args(cwd)], { cwd, env: store.env(extra), encoding: 'utf8' });
  const out = r.status === 0 ? spawnSync(join(cwd, 'out', 'trial-t'), { encoding: 'utf8' }).stdout : '';
  return { code: r.status, stderr: r.stderr, printed: out };
}

t.test('a daemon that starts on an already-full disk: calls build uncached at once, and the index is kept', { skip: !mounted2 && 'cannot mount a size-limited tmpfs here (needs root)' }, async (t) => {
  t.teardown(() => void spawnSync('umount', ['-l', mnt2]));
  const store = new Store(join(mnt2, 'store'));
  t.teardown(() => store.stop());
  t.equal(compileOnce(store, 'kept').code, 0, 'a first compile stores its entry');
  await store.stop();
  // Fill what is left of the disk, then start a new daemon on it.
  spawnSync('dd', ['if=/dev/zero', `of=${join(mnt2, 'fill')}`, 'bs=4k']);
  const first = compileOnce(store, 'kept');
  t.equal(first.code, 0, 'the compile succeeds');
  t.equal(first.printed, 'kept\n', 'and its binary is right');
  const lines = first.stderr.split('\n').filter((l) => /SPLITCACHE_/.test(l));
  t.equal(lines.length, 1, `one line says why: ${lines.join(' | ')}`);
  t.match(lines[0] ?? '', /splitcache: SPLITCACHE_STORE_FULL: .*building uncached/, 'the disk is full, not an unreachable daemon (which costs every call a 5 s wait)');
  // A second daemon started meanwhile (by a client that found no answer in time, on a loaded machine)
  // finds the store full too, and leaves the socket to the one there: it took it over before, and
  // the build's next call was told the reason again.
  const ping = async () => /running \(pid (\d+),.*store unavailable: SPLITCACHE_STORE_FULL/.exec((await store.splitcache(['server', 'status'])).stdout)?.[1];
  const serving = await ping();
  t.ok(serving, 'a daemon without its store answers');
  const other = spawn(process.execPath, [DAEMON_MAIN], { env: store.env(), stdio: 'ignore' });
  const ended = new Promise<number | null>((res) => other.on('exit', (code) => res(code)));
  const timeout = new Promise<string>((res) => setTimeout(() => res('still running after 10 s'), 10_000).unref());
  t.equal(await Promise.race([ended, timeout]), 0, 'another daemon started on the same store exits at once');
  other.kill();
  t.equal(await ping(), serving, 'and the one that was there still answers');
  const second = compileOnce(store, 'kept');
  t.equal(second.code, 0, 'the next compile succeeds too');
  t.notMatch(second.stderr, /SPLITCACHE_/, 'and is not told again');
  // What `splitcache cargo`'s summary reads: with no audit log, a build of such calls had no summary line.
  const told = (await store.splitcache(['audit', '--json'])).stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { reason?: string; crate?: string });
  t.same(told.map((e) => [e.crate, e.reason]), [['trial', 'store-unavailable'], ['trial', 'store-unavailable']], 'the calls it told to build uncached are in its audit answer');
  const s = await store.splitcache(['stats']);
  t.equal(s.code, 1, '`splitcache stats` fails');
  t.match(s.stderr, /^splitcache: SPLITCACHE_STORE_FULL: /, 'saying why');
  t.same(readdirSync(store.dir).filter((n) => n.startsWith('index.')), [], 'the index was not taken for corrupt and moved aside');
  // Space again: the next daemon opens the same index, and the entry stored before is there.
  rmSync(join(mnt2, 'fill'));
  await store.stop();
  const again = compileOnce(store, 'kept');
  t.equal(again.code, 0);
  t.equal(again.printed, 'kept\n');
  t.equal((await store.stats()).hits, 1, 'the entry stored before the disk filled is a hit');
});

t.test('a daemon that fails to start: the waiting calls build uncached at once, with its reason', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  // A directory where the daemon's socket must go: the store opens, listening fails.
  mkdirSync(join(store.dir, 'daemon.sock'), { recursive: true });
  const started = Date.now();
  const r = compileOnce(store, 'no daemon');
  t.equal(r.code, 0, 'the compile succeeds');
  t.equal(r.printed, 'no daemon\n');
  t.match(r.stderr, /splitcache: SPLITCACHE_DAEMON_UNREACHABLE: the daemon failed to start: .*daemon\.sock.* \(building uncached\)/, 'the daemon\'s own reason is shown');
  t.comment(`took ${Date.now() - started} ms (a client that waited for the daemon would take over 5,000)`);
  // A start by the node client (bin/splitcache leaves an https remote's to it), once the first's
  // lock and note are gone: the spawn lock it leaves names the daemon that died, so the next call
  // takes it for no start under way. Left empty, every later call of a build waited ~2 s on it in
  // bin/splitcache (38 s against 5 s for 200 crates).
  const lock = join(store.dir, 'daemon.starting');
  for (const f of [lock, ...startFailedPaths(store.dir)]) rmSync(f, { force: true });
  t.equal(compileOnce(store, 'no daemon, node', { SPLITCACHE_REMOTE: 'https://127.0.0.1:1/' }).code, 0, 'a compile whose daemon the node client starts');
  const left = existsSync(lock) ? readFileSync(lock, 'utf8').trim() : 'gone';
  t.ok(left === 'gone' || (/^\d+$/.test(left) && (await waitFor(() => !existsSync(`/proc/${left}`), 5_000))), `the spawn lock is gone or names a process that has ended (${JSON.stringify(left)})`);
  const again = Date.now();
  t.equal(compileOnce(store, 'no daemon again').code, 0, 'the next compile succeeds too');
  t.comment(`the next took ${Date.now() - again} ms`);
  rmSync(join(store.dir, 'daemon.sock'), { recursive: true });
});

const ro = tmpfsDir('read-only-fs', 'ro,size=64k');
const readOnly = ro !== undefined;
const roMount = ro ?? tempDir('read-only-fs');

t.test('a store dir on a read-only file system: every call builds uncached at once, and says why', { skip: !readOnly && 'cannot mount a read-only tmpfs here (needs root)' }, async (t) => {
  // No daemon can work there, and none was started; each call used to wait out the 5 s start timeout.
  t.teardown(() => void spawnSync('umount', ['-l', roMount]));
  const store = new Store(roMount);
  const timing = join(tempDir('timing'), 'calls.jsonl');
  const extra = { TMPDIR: tempDir('tmp'), SPLITCACHE_TIMING_LOG: timing };
  const texts = ['first', 'second', 'third'];
  const calls = texts.map((text) => compileOnce(store, text, extra));
  calls.forEach((r, i) => {
    t.equal(r.code, 0, `call ${i} succeeds`);
    t.equal(r.printed, `${texts[i]}\n`, `call ${i} built the right binary`);
  });
  t.match(calls[0]!.stderr, /^splitcache: SPLITCACHE_DAEMON_UNREACHABLE: the store dir \S+ is on a read-only file system \(building uncached\)\n$/, 'the first call says why, in one line');
  const waits = readFileSync(timing, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { wallMs: number; workMs: number }).map((c) => Math.round(c.wallMs - c.workMs));
  t.equal(waits.length, 3, 'every call logged its timing');
  t.ok(waits.every((ms) => ms < 2000), `no call waited for a daemon (${waits.join(', ')} ms beside rustc)`);
});

t.test('a SPLITCACHE_DIR naming a file: every call builds uncached, and says so in words', async (t) => {
  // It read `SPLITCACHE_DAEMON_UNREACHABLE: EEXIST: file already exists, mkdir …` (an error-message audit's find).
  const file = join(tempDir('not-a-dir'), 'store');
  writeFileSync(file, 'a file\n');
  for (const [dir, where] of [[file, 'a file is there'], [join(file, 'below'), 'a file is on its path']] as const) {
    const call = compileOnce(new Store(dir), 'filed', { TMPDIR: tempDir('tmp'), SPLITCACHE_CLIENT: 'node' });
    t.same([call.code, call.printed], [0, 'filed\n'], 'the call builds');
    t.equal(call.stderr, `splitcache: SPLITCACHE_DAEMON_UNREACHABLE: the store dir ${dir} is not a directory (${where}): set SPLITCACHE_DIR to a directory (building uncached)\n`, where);
  }
  const dangling = join(tempDir('dangling'), 'store');
  symlinkSync('/nonexistent/disk/store', dangling);
  const linked = compileOnce(new Store(dangling), 'filed', { TMPDIR: tempDir('tmp'), SPLITCACHE_CLIENT: 'node' });
  t.match(linked.stderr, /the store dir \S+ is not a directory \(a link to \/nonexistent\/disk\/store, which is not there, is there\)/, 'a link to nothing is said to be one');
  const toFile = join(tempDir('to-file'), 'store');
  symlinkSync(file, toFile);
  t.match(compileOnce(new Store(toFile), 'filed', { TMPDIR: tempDir('tmp'), SPLITCACHE_CLIENT: 'node' }).stderr, /the store dir \S+ is not a directory \(a file is there\)/, 'a link to a file is a file there (a review: it read as a link to nothing)');
  const stats = await run(BIN, ['stats'], { env: new Store(file).env() });
  t.same([stats.code, stats.stderr], [1, `splitcache: SPLITCACHE_DAEMON_UNREACHABLE: the store dir ${file} is not a directory (a file is there): set SPLITCACHE_DIR to a directory\n`], 'a subcommand too');
});

t.test('a store dir under /proc, where no directory can be made: every call builds uncached at once, and says why', { skip: !existsSync('/proc/self') && 'no procfs here' }, async (t) => {
  // procfs answers ENOENT to a mkdir under /proc, and Node's recursive mkdir took that for a
  // missing parent, made the parent (it exists) and tried again, forever: every call spun at
  // 100 % CPU and the build never ended (store/src/makeDirs.ts).
  const store = new Store(`/proc/splitcache-${process.pid}/store`);
  const extra = { TMPDIR: tempDir('tmp') };
  const texts = ['first', 'second'];
  const calls = texts.map((text) => {
    const cwd = crate(text);
    const started = Date.now();
    const r = spawnSync(BIN, ['rustc', ...args(cwd)], { cwd, env: store.env(extra), encoding: 'utf8', timeout: 30_000 });
    const printed = r.status === 0 ? spawnSync(join(cwd, 'out', 'trial-t'), { encoding: 'utf8' }).stdout : '';
    return { code: r.status, signal: r.signal, stderr: r.stderr, printed, ms: Date.now() - started };
  });
  calls.forEach((r, i) => {
    t.equal(r.signal, null, `call ${i} ended by itself (${r.ms} ms)`);
    t.equal(r.code, 0, `call ${i} succeeds`);
    t.equal(r.printed, `${texts[i]}\n`, `call ${i} built the right binary`);
  });
  t.match(calls[0]!.stderr, /^splitcache: SPLITCACHE_DAEMON_UNREACHABLE: ENOENT: .*mkdir '\/proc\/splitcache-\d+' \(building uncached\)\n$/, 'the first call says why, in one line');
});

t.test("a daemon.log that is a FIFO nothing reads: calls build uncached, say why, and don't hang", async (t) => {
  // Opening it for writing waited for a reader, for good: bash's start of the daemon on cargo's
  // first `rustc -vV` held cargo's pipe, and the node client's start held the call.
  const store = new Store(tempDir('fifo-log'));
  t.teardown(() => store.stop());
  t.equal(spawnSync('mkfifo', [join(store.dir, 'daemon.log')]).status, 0, 'daemon.log is a FIFO');
  const ws = crate('past a fifo');
  const probe = spawnSync(BIN, ['rustc', '-vV'], { cwd: ws, env: store.env(), encoding: 'utf8', timeout: 20_000 });
  t.same([probe.signal, probe.status], [null, 0], "cargo's first probe ends by itself");
  const r = spawnSync(BIN, ['rustc', ...args(ws)], { cwd: ws, env: store.env(), encoding: 'utf8', timeout: 30_000 });
  t.same([r.signal, r.status], [null, 0], 'the call ends by itself, and succeeds');
  t.equal(spawnSync(join(ws, 'out', 'trial-t'), { encoding: 'utf8' }).stdout, 'past a fifo\n', 'with the right binary');
  t.match(r.stderr, /^splitcache: SPLITCACHE_DAEMON_UNREACHABLE: .*daemon\.log is not a regular file.*\n$/, 'saying why, in one line');
});

const python = spawnSync('python3', ['-c', 'import fcntl']).status === 0;

t.test("the index's lock held by another process: calls build uncached at once, and say so", { skip: !python && 'no python3 to hold a POSIX lock' }, async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  t.equal(compileOnce(store, 'before').code, 0, 'a store with an index');
  await store.stop();
  // LevelDB locks index/LOCK with fcntl (POSIX) locks, which node can't take: python holds one.
  const holder = spawn('python3', ['-c', 'import fcntl,sys,time\nf=open(sys.argv[1],"r+")\nfcntl.lockf(f,fcntl.LOCK_EX)\nprint("held",flush=True)\ntime.sleep(120)', join(store.dir, 'index', 'LOCK')], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => holder.kill());
  await new Promise((res) => holder.stdout!.once('data', res));
  const timing = join(tempDir('timing'), 'calls.jsonl');
  const calls = ['one', 'two'].map((text) => compileOnce(store, text, { SPLITCACHE_TIMING_LOG: timing }));
  calls.forEach((r, i) => t.equal(r.code, 0, `call ${i} builds`));
  t.match(calls[0]!.stderr, /SPLITCACHE_STORE_LOCKED: [^\n]*locked by another process[^\n]*\(building uncached\)/, 'the first call says the index is locked');
  const waits = readFileSync(timing, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { wallMs: number; workMs: number }).map((c) => Math.round(c.wallMs - c.workMs));
  t.ok(waits.every((ms) => ms < 3000), `no call waited out the start timeout (${waits.join(', ')} ms beside rustc)`);
});

t.test('a deep store whose temp dir does not exist: its daemon listens in the store dir, and a failed start says why there', async (t) => {
  // A store path of 100 bytes or more had its daemon's socket in the temp dir, and with no temp dir
  // no daemon could listen: every call built uncached. Its socket is the store dir's own now
  // (daemon/src/storeSocket.ts). The note that says why a start failed went only to the temp dir,
  // and every call but the first waited out the 5 s start timeout: it falls back to the store dir.
  const extra = { TMPDIR: join(tempDir('tmp'), 'missing') };
  const store = new Store(join(tempDir('deep'), 'd'.repeat(100), 'store'));
  t.teardown(() => store.stop());
  for (const text of ['first', 'second']) {
    const r = compileOnce(store, text, extra);
    t.same([r.code, r.printed, r.stderr], [0, `${text}\n`, ''], `${text}: built, silently`);
  }
  t.equal((await store.stats()).misses, 2, 'the daemon served both');

  const { bin } = copyInstall("throw new Error('half an install');\n");
  const broken = new Store(join(tempDir('deep'), 'd'.repeat(100), 'store'));
  const timing = join(tempDir('timing'), 'calls.jsonl');
  const calls = ['a', 'b', 'c'].map((text) => crate(`deep ${text}`));
  const results = await Promise.all(calls.map((cwd) => run(bin, ['rustc', ...args(cwd)], { cwd, env: broken.env({ ...extra, SPLITCACHE_TIMING_LOG: timing }) })));
  results.forEach((r, i) => t.equal(r.code, 0, `call ${i} of a daemon that fails to start succeeds`));
  t.match(results.map((r) => r.stderr).join(''), /SPLITCACHE_DAEMON_UNREACHABLE: the daemon failed to start: exited with code 1/, 'a call says why');
  t.ok(existsSync(join(broken.dir, 'daemon.start-failed')), 'the reason is in the store dir');
  const waits = readFileSync(timing, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { wallMs: number; workMs: number }).map((c) => Math.round(c.wallMs - c.workMs));
  t.equal(waits.length, 3, 'every call logged its timing');
  t.ok(waits.every((ms) => ms < 4000), `no call waited for the start timeout (${waits.join(', ')} ms beside rustc)`);
});

const deaths: [string, string, RegExp][] = [
  ['killed by a signal (the OOM killer, say)', "process.kill(process.pid, 'SIGKILL');\n", /killed by SIGKILL before it listened/],
  ['crashing before its own error handler runs (a broken install)', "throw new Error('half an install');\n", /exited with code 1 before it listened/],
];
for (const [what, daemonMain, reason] of deaths) {
  t.test(`a daemon ${what}: the calls build uncached at once, with the reason`, async (t) => {
    const { bin } = copyInstall(daemonMain);
    const store = new Store();
    t.teardown(() => rmSync(startFailedPaths(store.dir)[0], { force: true }));
    const timing = join(tempDir('timing'), 'calls.jsonl');
    const calls = Array.from({ length: 3 }, (_, i) => crate(`dead daemon ${i}`));
    // Three at once, as cargo runs them: one spawns the daemon, the others wait on its spawn lock.
    const results = await Promise.all(calls.map((cwd) => run(bin, ['rustc', ...args(cwd)], { cwd, env: store.env({ SPLITCACHE_TIMING_LOG: timing }) })));
    results.forEach((r, i) => {
      t.equal(r.code, 0, `call ${i} succeeds`);
      t.equal(spawnSync(join(calls[i]!, 'out', 'trial-t'), { encoding: 'utf8' }).stdout, `dead daemon ${i}\n`, `call ${i} built the right binary`);
    });
    const said = results.map((r) => r.stderr).join('');
    t.match(said, /splitcache: SPLITCACHE_DAEMON_UNREACHABLE: the daemon failed to start: /, 'a call says why');
    t.match(said, reason, 'naming how the daemon ended');
    t.match(readFileSync(startFailedPaths(store.dir)[0], 'utf8'), reason, 'the reason is left for the calls that come next');
    // A call's own time, rustc's excluded: one that waited out the start timeout spent over 5,000 ms.
    const waits = readFileSync(timing, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { wallMs: number; workMs: number }).map((c) => Math.round(c.wallMs - c.workMs));
    t.equal(waits.length, 3, 'every call logged its timing');
    t.ok(waits.every((ms) => ms < 4000), `no call waited for the start timeout (${waits.join(', ')} ms beside rustc)`);
  });
}
