import t, { type Test } from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertOk, BIN, copyFixture, copyInstall, DAEMON_MAIN, oneFileCrate, printingCrate, run, Store, tempDir, timingLines, waitFor } from './helpers.js';

// `splitcache cargo <args…>`: cargo with the wrapper set and a fresh session id,
// whose calls its summary line counts (docs/CONFIG.md: an empty setting is the
// same as an unset one).

t.test('splitcache cargo makes a fresh session for each build when SPLITCACHE_SESSION is unset or empty, and keeps one that is set', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const crate = printingCrate('in a session');
  writeFileSync(join(crate, 'Cargo.toml'), '[package]\nname = "in-a-session"\nversion = "0.1.0"\nedition = "2021"\n');
  const build = async (session: string | undefined) => {
    const env = store.env();
    if (session === undefined) delete env.SPLITCACHE_SESSION;
    else env.SPLITCACHE_SESSION = session;
    assertOk(t, await run('cargo', ['clean', '-q'], { cwd: crate, env }), 'cargo clean');
    const r = await run(BIN, ['cargo', 'build', '-q'], { cwd: crate, env });
    assertOk(t, r, `splitcache cargo build (SPLITCACHE_SESSION ${session === undefined ? 'unset' : JSON.stringify(session)})`);
    return r;
  };
  await build(undefined);
  await build('');
  await build('named');
  const sessions = (await store.calls()).map((e) => e.session);
  t.equal(sessions.length, 3, 'three calls looked up');
  t.match(sessions[0], /^[0-9a-f]{12}$/, 'unset: a fresh session');
  t.match(sessions[1], /^[0-9a-f]{12}$/, 'empty: a fresh session too');
  t.not(sessions[1], sessions[0], 'each build its own');
  t.equal(sessions[2], 'named', 'a session that is set is kept');
});

/** A store, and a package whose build script says it runs (`started`), then waits (up to 60 s) for the test to let it go (`release`). */
function waitingBuild(t: Test, name: string) {
  const store = new Store();
  t.teardown(() => store.stop());
  const crate = printingCrate(name);
  const [started, release] = [join(crate, 'started'), join(crate, 'release')];
  writeFileSync(join(crate, 'Cargo.toml'), `[package]\nname = "${name}"\nversion = "0.1.0"\nedition = "2021"\n`);
  writeFileSync(
    join(crate, 'build.rs'),
    `fn main() {\n  std::fs::write(${JSON.stringify(started)}, "").unwrap();\n  for _ in 0..600 {\n    if std::path::Path::new(${JSON.stringify(release)}).exists() { break; }\n    std::thread::sleep(std::time::Duration::from_millis(100));\n  }\n}\n`,
  );
  t.teardown(() => writeFileSync(release, ''));
  return { store, crate, started, release };
}

t.test('a SIGTERM to splitcache cargo alone ends cargo too, and splitcache cargo ends as cargo did', async (t) => {
  const { store, crate, started } = waitingBuild(t, 'stopped');
  const wrapper = spawn(BIN, ['cargo', 'build', '-q'], { cwd: crate, env: store.env(), stdio: 'ignore' });
  const ended = new Promise<[number | null, NodeJS.Signals | null]>((res) => wrapper.on('close', (code, signal) => res([code, signal])));
  t.ok(await waitFor(() => existsSync(started), 30_000), "cargo runs the build script");
  const cargo = Number(readFileSync(`/proc/${wrapper.pid}/task/${wrapper.pid}/children`, 'utf8').trim().split(' ')[0]);
  t.match(readFileSync(`/proc/${cargo}/cmdline`, 'utf8'), /cargo\0build/, "splitcache cargo's child is cargo");
  wrapper.kill('SIGTERM');
  t.same(await ended, [null, 'SIGTERM'], 'splitcache cargo ends by the SIGTERM, as cargo did');
  t.notOk(existsSync(`/proc/${cargo}`), 'and cargo had ended before it: nothing goes on building alone');
});

// `nohup splitcache cargo build`: a hang-up ignored where it was started is ignored by cargo too, as
// under `nohup cargo build`. node resets every signal as it starts, so splitcache cargo passed the
// hang-up on, and the build ended with 129 (a helper's finding). So with a SIGTERM ignored where it
// was started (bin/splitcache reads bit 15 of SigIgn for it).
for (const [sig, what] of [['HUP', 'a hang-up ignored where splitcache cargo was started (nohup)'], ['TERM', 'a SIGTERM ignored where splitcache cargo was started']] as const) {
  t.test(`${what} is ignored by cargo too: the build goes on`, async (t) => {
    const { store, crate, started, release } = waitingBuild(t, `ign${sig.toLowerCase()}`);
    const wrapper = spawn('bash', ['-c', `trap "" ${sig}; exec "$0" cargo build -q`, BIN], { cwd: crate, env: store.env(), stdio: 'ignore' });
    const ended = new Promise<[number | null, NodeJS.Signals | null]>((res) => wrapper.on('close', (code, signal) => res([code, signal])));
    t.ok(await waitFor(() => existsSync(started), 30_000), 'cargo runs the build script');
    const cargo = Number(readFileSync(`/proc/${wrapper.pid}/task/${wrapper.pid}/children`, 'utf8').trim().split(' ')[0]);
    wrapper.kill(`SIG${sig}`);
    process.kill(cargo, `SIG${sig}`);
    await new Promise((res) => setTimeout(res, 500));
    t.ok(existsSync(`/proc/${cargo}`), `cargo goes on after the SIG${sig}, sent to it and to splitcache cargo`);
    writeFileSync(release, '');
    t.same(await ended, [0, null], 'and the build ends well');
    t.ok(existsSync(join(crate, 'target', 'debug', `ign${sig.toLowerCase()}`)), 'with its binary');
  });
}

t.test('SPLITCACHE_TIMING_LOG has a line for each rustc call, none for splitcache cargo or another subcommand', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const crate = printingCrate('timed');
  writeFileSync(join(crate, 'Cargo.toml'), '[package]\nname = "timed"\nversion = "0.1.0"\nedition = "2021"\n');
  const log = join(tempDir('timing'), 'calls.jsonl');
  const env = store.env({ SPLITCACHE_TIMING_LOG: log });
  assertOk(t, await run(BIN, ['cargo', 'build', '-q'], { cwd: crate, env }), 'splitcache cargo build');
  assertOk(t, await run(BIN, ['stats'], { cwd: crate, env }), 'splitcache stats');
  const lines = timingLines(log);
  t.equal(lines.length, 1, 'one line: the crate\'s one compiling call (cargo\'s info calls are exec\'d by bin/splitcache, untimed)');
  t.ok(lines[0]!.client === 'exec' || lines[0]!.wrap !== undefined, 'and it is that call\'s');
});

t.test("splitcache cargo's summary line says how to cache the incremental calls it passed through", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const crate = printingCrate('incremental');
  writeFileSync(join(crate, 'Cargo.toml'), '[package]\nname = "by-default"\nversion = "0.1.0"\nedition = "2021"\n');
  // cargo's own default for the dev profile, as a new user has it.
  const env = store.env();
  delete env.CARGO_INCREMENTAL;
  const r = await run(BIN, ['cargo', 'build'], { cwd: crate, env });
  assertOk(t, r, 'splitcache cargo build');
  t.match(r.stderr, /^splitcache: 0 hits, 0 misses, 0\.0 s saved; passed through: incremental 1 \(CARGO_INCREMENTAL=0 caches those\); session [0-9a-f]{12}$/m, 'the line names the setting, and the session');
  const cached = await run(BIN, ['cargo', 'build', '--release'], { cwd: crate, env });
  assertOk(t, cached, 'a release build (not incremental)');
  t.notMatch(cached.stderr, /CARGO_INCREMENTAL/, 'has no such hint');
});

// A build whose crate failed to compile, or whose results were too large to store, had a line of
// `0 hits, 0 misses` or `1 misses` and no word of why: only `audit --json` said `notStored: too-large`.
t.test("splitcache cargo's summary line counts compile errors and the misses too large to store", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const crate = oneFileCrate('fn main() { let x: u32 = "a"; }\n');
  writeFileSync(join(crate, 'Cargo.toml'), '[package]\nname = "failing"\nversion = "0.1.0"\nedition = "2021"\n');
  const failed = await run(BIN, ['cargo', 'build'], { cwd: crate, env: store.env() });
  t.not(failed.code, 0, 'a build that fails');
  t.match(failed.stderr, /^splitcache: 0 hits, 0 misses, 1 compile error, 0\.0 s saved; session /m, 'counts its compile error');

  writeFileSync(join(crate, 'src/main.rs'), 'fn main() {}\n');
  const env = store.env({ SPLITCACHE_MAX_ENTRY_SIZE: '1K' });
  await store.stop();
  for (const build of ['first', 'second']) {
    assertOk(t, await run('cargo', ['clean', '-q'], { cwd: crate, env }), 'cargo clean');
    const r = await run(BIN, ['cargo', 'build'], { cwd: crate, env });
    assertOk(t, r, `the ${build} build`);
    t.match(r.stderr, /^splitcache: 0 hits \(0 %\), 1 miss \(1 not stored: larger than SPLITCACHE_MAX_ENTRY_SIZE, 1\.0 KiB\), 0\.0 s saved; session /m, `the ${build} build says why it missed`);
  }
});

// A call that builds uncached for a fault the daemon never hears of (no daemon to reach, one lost
// mid-call) has no audit line: such a build printed no summary line at all, and one where only some
// calls could not reach the daemon counted none of those (`8 hits (100 %), 0 misses`).
t.test("splitcache cargo's summary line counts the calls that built uncached with no daemon to reach", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = copyFixture();
  const notADir = join(tempDir('no-store'), 'file');
  writeFileSync(notADir, '');
  const r = await run(BIN, ['cargo', 'build'], { cwd: ws, env: store.env({ SPLITCACHE_DIR: notADir, SPLITCACHE_SESSION: 'nostore' }) });
  assertOk(t, r, 'the build succeeds, uncached');
  const line = /^splitcache: no daemon answered for this build's summary, (\d+) built uncached \(SPLITCACHE_DAEMON_UNREACHABLE (\d+)\); session nostore$/m.exec(r.stderr);
  t.ok(line, `the summary says so: ${r.stderr.split('\n').filter((l) => l.startsWith('splitcache:')).join(' | ')}`);
  t.ok(Number(line?.[1]) >= 5 && line?.[1] === line?.[2], `each of the fixture's cacheable calls counted (${line?.[1]})`);
  const again = await run(BIN, ['cargo', 'build'], { cwd: ws, env: store.env({ SPLITCACHE_DIR: notADir, SPLITCACHE_SESSION: 'nostore' }) });
  t.notMatch(again.stderr, /built uncached/, 'a build with nothing to compile counts none: the notes went with the summary');
  // The notes are the build's own, named to its calls, and go with it, line or not (before, a quiet build left its session's).
  // In a temp dir of its own: other builds on the machine make and sweep notes in the shared one.
  const tmp = tempDir('notes-tmp');
  const notesLeft = () => readdirSync(join(tmp, `splitcache-${process.getuid?.()}`)).filter((n) => n.startsWith('uncached.'));
  rmSync(join(ws, 'target'), { recursive: true, force: true });
  const quiet = await run(BIN, ['cargo', 'build', '-q'], { cwd: ws, env: store.env({ SPLITCACHE_DIR: notADir, SPLITCACHE_SESSION: 'quietone', TMPDIR: tmp }) });
  assertOk(t, quiet, 'a quiet build');
  t.equal(quiet.stderr.match(/built uncached/g), null, 'prints no summary');
  t.same(notesLeft(), [], 'and leaves no notes behind');
});

// A `splitcache cargo` killed with SIGKILL (the OOM killer, a cancelled CI job) can't remove its
// notes file: each was left for good (a helper's finding). The next run removes those of runs that
// are gone, once no call has written them for an hour.
t.test('splitcache cargo removes the notes files that runs killed before their end left, and no other', async (t) => {
  const dir = join(tmpdir(), `splitcache-${process.getuid?.()}`);
  const gone = spawnSync('true').pid!;
  const hoursAgo = new Date(Date.now() - 2 * 3_600_000);
  const notes = { killed: `uncached.${gone}.killedrun`, recent: `uncached.${gone}.recentrun`, running: `uncached.${process.pid}.runningrun` };
  for (const name of Object.values(notes)) writeFileSync(join(dir, name), '');
  utimesSync(join(dir, notes.killed), hoursAgo, hoursAgo);
  utimesSync(join(dir, notes.running), hoursAgo, hoursAgo);
  t.teardown(() => {
    for (const name of Object.values(notes)) rmSync(join(dir, name), { force: true });
  });
  const store = new Store();
  t.teardown(() => store.stop());
  assertOk(t, await run(BIN, ['cargo', '-V'], { env: store.env() }), 'splitcache cargo -V');
  t.notOk(existsSync(join(dir, notes.killed)), "a gone run's file, two hours old, is removed");
  t.ok(existsSync(join(dir, notes.recent)), 'one written within the hour is kept (its pid may be in another namespace)');
  t.ok(existsSync(join(dir, notes.running)), "a running process's is kept");
});

t.test('under SPLITCACHE_LOG=quiet or cargo -q, splitcache cargo prints no summary line: nothing of its own on stderr', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const crate = printingCrate('quietly');
  writeFileSync(join(crate, 'Cargo.toml'), '[package]\nname = "quietly"\nversion = "0.1.0"\nedition = "2021"\n');
  const clean = async () => assertOk(t, await run('cargo', ['clean', '-q'], { cwd: crate, env: store.env() }), 'cargo clean');
  const loud = await run(BIN, ['cargo', 'build'], { cwd: crate, env: store.env() });
  assertOk(t, loud, 'a build');
  t.match(loud.stderr, /^splitcache: 0 hits \(0 %\), 1 miss,/m, 'has its summary line by default');
  // A build that compiles nothing (every crate fresh) has no call to count, and no line (README.md says so).
  const fresh = await run(BIN, ['cargo', 'build'], { cwd: crate, env: store.env() });
  assertOk(t, fresh, 'a build with nothing to compile');
  t.notMatch(fresh.stderr, /^splitcache:/m, 'prints no summary line');
  await clean();
  const quiet = await run(BIN, ['cargo', 'build'], { cwd: crate, env: store.env({ SPLITCACHE_LOG: 'quiet' }) });
  assertOk(t, quiet, 'a build under SPLITCACHE_LOG=quiet');
  t.notMatch(quiet.stderr, /splitcache/, "prints nothing of splitcache's on stderr");
  // cargo -q says nothing of its own; the summary line was the one line such a build printed.
  // And cargo's own setting on its command line (the line was said where cargo said nothing: a helper's find).
  for (const args of [['build', '-q'], ['-q', 'build'], ['build', '-qr'], ['build', '--quiet'], ['--config', 'term.quiet=true', 'build'], ['build', '--config=term.quiet = true']]) {
    await clean();
    const q = await run(BIN, ['cargo', ...args], { cwd: crate, env: store.env() });
    assertOk(t, q, `splitcache cargo ${args.join(' ')}`);
    t.equal(q.stderr, '', `splitcache cargo ${args.join(' ')} prints nothing on stderr`);
  }
});

t.test("a Ctrl-C in splitcache cargo's terminal reaches cargo once (the terminal's own), not again from splitcache cargo", async (t) => {
  // A terminal made by script(1); a stand-in for cargo (CARGO) that counts the SIGINTs it gets and carries on,
  // as the program of a `cargo run` that stops gracefully on the first one would.
  const dir = tempDir('ctrl-c');
  const [count, ready, cargo] = [join(dir, 'ints'), join(dir, 'ready'), join(dir, 'cargo')];
  writeFileSync(cargo, `#!/bin/bash\ntrap 'echo INT >> "${count}"' INT\n: > "${ready}"\nfor i in $(seq 1 20); do sleep 0.1; done\n`, { mode: 0o755 });
  const store = new Store();
  t.teardown(() => store.stop());
  // The terminal's shell is bash, whatever $SHELL says: script(1) runs `$SHELL -c`, and with SHELL unset (as on CI)
  // that is /bin/sh, which on Debian is dash. A non-interactive dash is itself ended by the Ctrl-C, so it would
  // never print the exit line, whatever splitcache cargo did; bash waits to see whether its child died of it.
  const term = spawn('script', ['-qec', `${BIN} cargo build; echo "exit $?"`, '/dev/null'], { env: store.env({ CARGO: cargo, SHELL: '/bin/bash' }), stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  term.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const ended = new Promise<number | null>((res) => term.on('close', (code) => res(code)));
  // The Ctrl-C once the stand-in listens for it (a fixed second was too short for a loaded CI machine);
  // script relays it to its terminal, which signals the foreground.
  t.ok(await waitFor(() => existsSync(ready), 30_000), 'the stand-in runs');
  term.stdin.write('\x03');
  t.ok(await waitFor(() => /exit \d+/.test(out), 30_000), 'the shell in the terminal goes on');
  term.stdin.end();
  t.equal(await ended, 0, 'script ends');
  t.same(readFileSync(count, 'utf8').split('\n').filter(Boolean), ['INT'], 'the stand-in got one SIGINT');
  t.match(out, /exit 0/, 'and splitcache cargo ended as it did: exit 0');
});

t.test('splitcache /path/to/cargo build is splitcache cargo build with that cargo', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const crate = printingCrate('by path');
  writeFileSync(join(crate, 'Cargo.toml'), '[package]\nname = "by-path"\nversion = "0.1.0"\nedition = "2021"\n');
  const cargo = (await run('rustup', ['which', 'cargo'])).stdout.trim();
  // A global option naming a path before the command: still cargo's, not a compiler in front of rustc.
  const config = join(crate, 'extra-config.toml');
  writeFileSync(config, '[term]\nverbose = false\n');
  const r = await run(BIN, [cargo, '--config', config, 'build'], { cwd: crate, env: store.env({ RUSTC_WRAPPER: undefined }) });
  assertOk(t, r, `splitcache ${cargo} --config ${config} build`);
  t.match(r.stderr, /\nsplitcache: 0 hits \(0 %\), 1 miss,/, `its summary line is printed (${r.stderr.trim().split('\n').at(-1)})`);
  t.equal((await store.calls()).length, 1, 'and its crate went through the wrapper (it ran with none set)');
  t.equal((await run(join(crate, 'target', 'debug', 'by-path'), [])).stdout, 'by path\n', 'the binary is right');
});

t.test("a rustc in a directory named like a cargo (cargo-1.80/bin/rustc) is a compiler, and sh (dash) runs the script under bash", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const bin = join(tempDir('toolchain'), 'cargo-1.80', 'bin');
  mkdirSync(bin, { recursive: true });
  symlinkSync((await run('rustup', ['which', 'rustc'])).stdout.trim(), join(bin, 'rustc'));
  const crate = printingCrate('cargo-named dir');
  const r = await run(BIN, [join(bin, 'rustc'), '--crate-name', 'trial', '--edition=2021', 'src/main.rs', '--crate-type', 'bin', '--emit=dep-info,link', '--out-dir', join(crate, 'out')], { cwd: crate, env: store.env() });
  assertOk(t, r, 'the call builds');
  t.equal((await store.calls()).length, 1, 'and was looked up (it was taken for `splitcache cargo` with the rustc as its cargo: nothing cached)');
  // dash parses a top-level command whole before it runs it: the bash-only lines failed to parse on every call.
  const dash = await run('sh', [BIN, '--version']);
  t.same([dash.code, dash.stderr], [0, ''], 'sh bin/splitcache --version');
  t.match(dash.stdout, /^splitcache 0\.1\.0 \(.*\)\n$/, 'and prints the version');
});

t.test('an install without its node_modules (npm ci running in it): splitcache cargo runs cargo uncached, other subcommands say why', async (t) => {
  // The install as `npm ci` leaves it while it runs: dist built, node_modules gone.
  const { bin } = copyInstall(readFileSync(DAEMON_MAIN, 'utf8'));
  cpSync(join(BIN, '..', '..', 'packages', 'cli', 'dist', 'src'), join(bin, '..', '..', 'packages', 'cli', 'dist', 'src'), { recursive: true });
  const store = new Store();
  t.teardown(() => store.stop());
  const crate = printingCrate('without node_modules');
  writeFileSync(join(crate, 'Cargo.toml'), '[package]\nname = "no-modules"\nversion = "0.1.0"\nedition = "2021"\n');
  const r = await run(bin, ['cargo', 'build'], { cwd: crate, env: store.env({ RUSTC_WRAPPER: '' }) });
  t.equal(r.code, 0, `the build succeeds (before: exit 1, and cargo never ran)${r.code ? `: ${r.stderr}` : ''}`);
  t.match(r.stderr, /^splitcache: SPLITCACHE_INSTALL_INCOMPLETE: cannot load splitcache's modules from \S+ \(.*\): is `npm ci` running there, or its node_modules gone\? \(running cargo: its calls build uncached unless a daemon runs already\)$/m, 'with one line saying why it is uncached');
  t.equal(spawnSync(join(crate, 'target', 'debug', 'no-modules'), { encoding: 'utf8' }).stdout, 'without node_modules\n', 'and its binary runs');
  const failed = await run(bin, ['cargo', 'build', '--no-such-flag'], { cwd: crate, env: store.env() });
  t.not(failed.code, 0, "and it ends as cargo did (cargo's usage error)");
  const stats = await run(bin, ['stats'], { env: store.env() });
  t.equal(stats.code, 1, 'stats fails');
  t.match(stats.stderr, /^splitcache: SPLITCACHE_INSTALL_INCOMPLETE: cannot load splitcache's modules from .*node_modules gone\?\n$/, 'in one line');
});
