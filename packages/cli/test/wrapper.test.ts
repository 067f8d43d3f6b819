import t, { type Test } from 'tap';
import { existsSync, readdirSync, readFileSync, rmSync, statfsSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { SUBCOMMANDS } from '../src/subcommands.js';
import { assertOk, BIN, copyFixture, oldNodeDir, oneFileCrate, realRustc, run, Store, tempDir, waitFor } from './helpers.js';

// Issue 2, shown with real cargo and rustc on the fixture workspace.
const LINKED = ['bin', 'build-script', 'proc-macro', 'test'];
const BINARIES = ['fx-app', 'examples/demo'];

t.test('cold build misses, warm build after cargo clean hits every cacheable call', async (t) => {
  const store = new Store();
  const ws = copyFixture();
  t.teardown(() => store.stop());

  const cold = await store.cargo(ws, ['build', '--all-targets'], { SPLITCACHE_SESSION: 'cold' });
  assertOk(t, cold);
  const afterCold = await store.stats();
  t.equal(afterCold.hits, 0, 'a cold store has no hits');
  t.ok(afterCold.misses >= 10, `cold build missed ${afterCold.misses} calls`);
  t.same(afterCold.notStored, {}, 'every miss was stored');
  t.same(afterCold.errors, {}, 'no cache faults');
  t.same(readdirSync(join(store.dir, 'blobs', 'tmp')), [], 'the objects staged for storing after the link are gone');
  const coldOut = (await run(join(ws, 'target/debug/fx-app'), [])).stdout;

  t.equal((await store.cargo(ws, ['clean'])).code, 0);
  const warm = await store.cargo(ws, ['build', '--all-targets'], { SPLITCACHE_SESSION: 'warm' });
  assertOk(t, warm);
  const s = await store.stats();
  t.equal(s.misses, afterCold.misses, 'the warm build missed nothing');
  t.equal(s.hits, afterCold.misses, 'every call that missed cold hits warm');
  for (const type of LINKED) t.ok((s.byType[type]?.hits ?? 0) > 0, `${type} crates hit`);
  t.match(warm.stderr, /unused variable: `unused_on_purpose`/, 'warnings are replayed on a hit');

  const events = await store.audit('warm');
  t.ok(events.length >= afterCold.misses);
  t.ok(events.every((e) => e.outcome === 'hit' || e.outcome === 'passthrough'), 'the warm session logged only hits');
  t.equal((await run(join(ws, 'target/debug/fx-app'), [])).stdout, coldOut, 'the replayed binary runs and prints the same');
  t.equal((await run(join(ws, 'target/debug/examples/demo'), [])).stdout, 'example: 100\n');
  const tests = await store.cargo(ws, ['test', '--', '--test-threads=1']);
  assertOk(t, tests);
  t.match(tests.stdout, /2 passed/);
});

t.test('a store on another file system than the target dir: linked crates are stored before their link, and hit', async (t) => {
  // Objects are normally hard-linked into the store's temp dir and stored after the link
  // step; across file systems no hard link can be made, and they are stored first.
  const other = '/dev/shm';
  const fsOf = async (p: string) => (await run('stat', ['-f', '-c', '%T', p])).stdout.trim();
  if (!existsSync(other) || (await fsOf(other)) === (await fsOf(tempDir('probe')))) {
    t.comment('skipped: no second file system to put the store on');
    return;
  }
  // A container's /dev/shm is often 64 MiB, too small for the fixture's store (a full disk has its own test).
  const fsStats = statfsSync(other);
  const freeMiB = (fsStats.bavail * fsStats.bsize) / 2 ** 20;
  if (freeMiB < 1024) {
    t.comment(`skipped: only ${freeMiB.toFixed(0)} MiB free on ${other}`);
    return;
  }
  const store = new Store(tempDir('store', other));
  const ws = copyFixture();
  t.teardown(() => store.stop());
  assertOk(t, await store.cargo(ws, ['build', '--all-targets']));
  const cold = await store.stats();
  t.same(cold.notStored, {}, 'every miss was stored');
  t.same(cold.errors, {}, 'no cache faults');
  await store.cargo(ws, ['clean']);
  assertOk(t, await store.cargo(ws, ['build', '--all-targets']));
  const warm = await store.stats();
  t.equal(warm.hits, cold.misses, 'every call hits');
  for (const type of LINKED) t.ok((warm.byType[type]?.hits ?? 0) > 0, `${type} crates hit`);
  t.match((await run(join(ws, 'target/debug/fx-app'), [])).stdout, /hello from Greeter/);
  t.same(readdirSync(join(store.dir, 'blobs', 'tmp')), [], 'nothing left in the temp dir');
});

/**
 * A plain build, then the same through the cache twice (a miss, then a hit
 * after cargo clean): every binary is byte for byte the plain one.
 * `toolchain`: cargo's `+nightly`, or none; `env`: for all three builds;
 * `targets`: what cargo builds (each of BINARIES among it).
 */
function matchesPlainBuild(toolchain: string[], env: Record<string, string> = {}, targets = ['--all-targets']) {
  return async (t: Test) => {
    const store = new Store();
    const ws = copyFixture();
    t.teardown(() => store.stop());
    const plainTarget = tempDir('plain-target');
    const plain = await run('cargo', [...toolchain, 'build', ...targets, '--target-dir', plainTarget], {
      cwd: ws,
      env: { ...process.env, CARGO_INCREMENTAL: '0', RUSTC_WRAPPER: '', ...env },
    });
    assertOk(t, plain);
    t.equal((await store.cargo(ws, [...toolchain, 'build', ...targets], env)).code, 0);
    const cold = await store.stats();
    t.same([cold.passthrough, cold.notStored, cold.errors], [{}, {}, {}], 'every call cached: none passed through, none unstored, no faults');
    for (const b of BINARIES) {
      t.ok(readFileSync(join(ws, 'target/debug', b)).equals(readFileSync(join(plainTarget, 'debug', b))), `${b} (miss) matches the plain build`);
    }
    await store.cargo(ws, ['clean']);
    t.equal((await store.cargo(ws, [...toolchain, 'build', ...targets], env)).code, 0);
    t.equal((await store.stats()).hits, cold.misses, 'every call hits after cargo clean');
    for (const b of BINARIES) {
      t.ok(readFileSync(join(ws, 'target/debug', b)).equals(readFileSync(join(plainTarget, 'debug', b))), `${b} (hit) matches the plain build`);
    }
  };
}

t.test('binaries through the cache are byte-identical to a plain build', matchesPlainBuild([]));

// The split halves run with RUSTC_BOOTSTRAP=1, under which rustc mangles with
// v0; legacy is pinned only where a plain call would use it. A nightly and a
// stable rustc told RUSTC_BOOTSTRAP=1 mangle with v0 in plain builds too.
t.test('byte-identical on a nightly rustc too', { skip: spawnSync('rustup', ['run', 'nightly', 'rustc', '-V']).status !== 0 && 'nightly is not installed' }, matchesPlainBuild(['+nightly']));
t.test('byte-identical on a stable rustc with RUSTC_BOOTSTRAP=1 in the environment', matchesPlainBuild([], { RUSTC_BOOTSTRAP: '1' }));
// A release-style profile, set on cargo's dev profile so the paths stay those
// of target/debug: the bin and the example are linked from fat-LTO objects of
// one codegen unit (the dependencies' code comes in as bitcode), unwinding
// off, symbols stripped by the linker. Every crate is still split and cached.
// The bins and examples only: the test harnesses under fat LTO took 25 s a
// build here, against 5 s.
t.test(
  'byte-identical with fat LTO, one codegen unit, panic=abort and strip',
  matchesPlainBuild(
    [],
    {
      CARGO_PROFILE_DEV_OPT_LEVEL: '3',
      CARGO_PROFILE_DEV_LTO: 'fat',
      CARGO_PROFILE_DEV_CODEGEN_UNITS: '1',
      CARGO_PROFILE_DEV_PANIC: 'abort',
      CARGO_PROFILE_DEV_STRIP: 'symbols',
    },
    ['--bins', '--examples'],
  ),
);

t.test('editing a leaf source file misses exactly the crates that depend on it', async (t) => {
  const store = new Store();
  const ws = copyFixture();
  t.teardown(() => store.stop());
  t.equal((await store.cargo(ws, ['build', '--all-targets'], { SPLITCACHE_SESSION: 'one' })).code, 0);
  const lib = join(ws, 'core/src/lib.rs');
  writeFileSync(lib, readFileSync(lib, 'utf8').replace('    7\n', '    8\n'));
  await store.cargo(ws, ['clean']);
  const r = await store.cargo(ws, ['build', '--all-targets'], { SPLITCACHE_SESSION: 'two' });
  assertOk(t, r);
  const events = (await store.audit('two')).filter((e) => e.outcome !== 'passthrough');
  const missed = new Set(events.filter((e) => e.outcome === 'miss').map((e) => `${e.crate}:${e.crateType}`));
  const hit = new Set(events.filter((e) => e.outcome === 'hit').map((e) => `${e.crate}:${e.crateType}`));
  // fx-core and everything that depends on it: fx-util, fx-app (bin, its tests, the example).
  const downstream = ['fx_core:lib', 'fx_util:lib', 'fx_app:bin', 'integration:test', 'demo:bin', 'fx_core:test', 'fx_util:test', 'fx_app:test'];
  t.same([...missed].sort(), downstream.sort(), 'exactly the dependants of fx-core missed');
  // Not downstream of the edit: the build script and the proc-macro.
  for (const c of ['build_script_build:build-script', 'fx_derive:proc-macro', 'fx_derive:test']) t.ok(hit.has(c), `${c} hit`);
  t.equal([...missed].filter((c) => hit.has(c)).length, 0, 'no crate both hit and missed');
  t.equal((await run(join(ws, 'target/debug/fx-app'), [])).stdout.includes('leaf=8'), true, 'the binary sees the edit');
});

t.test('a compile error is replayed with the same diagnostics and exit code, and nothing is cached', async (t) => {
  const store = new Store();
  const ws = copyFixture();
  t.teardown(() => store.stop());
  const main = join(ws, 'app/src/main.rs');
  writeFileSync(main, readFileSync(main, 'utf8').replace('fx_util::double(21)', 'fx_util::double("21")'));
  const plain = await run('cargo', ['build', '--bin', 'fx-app', '--target-dir', tempDir('plain')], {
    cwd: ws,
    env: { ...process.env, CARGO_INCREMENTAL: '0', CARGO_TERM_COLOR: 'never', RUSTC_WRAPPER: '' },
  });
  const first = await store.cargo(ws, ['build', '--bin', 'fx-app']);
  const second = await store.cargo(ws, ['build', '--bin', 'fx-app']);
  t.not(plain.code, 0);
  t.equal(first.code, plain.code, 'same exit code as without splitcache');
  t.equal(second.code, plain.code, 'and again: the error was not cached');
  const diag = (s: string) => s.split('\n').filter((l) => !/^\s*(Compiling|Finished|Blocking|Running)\b/.test(l) && !/ at .*\/target/.test(l)).join('\n');
  const errorBlock = (s: string) => s.slice(s.indexOf('error['), s.indexOf('error: could not compile'));
  t.ok(errorBlock(plain.stderr).length > 20, 'the plain build printed a diagnostic');
  t.equal(errorBlock(diag(first.stderr)), errorBlock(diag(plain.stderr)), 'the diagnostic is the same');
  t.equal(errorBlock(diag(second.stderr)), errorBlock(diag(plain.stderr)));
  const s = await store.stats();
  t.equal(s.compileErrors, 2, 'both failing compiles were counted, none cached');
});

t.test('RUSTC_WORKSPACE_WRAPPER works like RUSTC_WRAPPER for workspace members', async (t) => {
  const store = new Store();
  const ws = copyFixture();
  t.teardown(() => store.stop());
  const env = { RUSTC_WRAPPER: '', RUSTC_WORKSPACE_WRAPPER: store.env().RUSTC_WRAPPER };
  assertOk(t, await store.cargo(ws, ['build'], env));
  await store.cargo(ws, ['clean']);
  assertOk(t, await store.cargo(ws, ['build'], env));
  const s = await store.stats();
  t.ok(s.misses > 0 && s.hits === s.misses, `every member missed once and then hit (${s.hits} hits, ${s.misses} misses)`);
});

// Both wrappers splitcache (docs/ARCHITECTURE.md's way to cache what `cargo fix` builds): cargo
// runs `splitcache splitcache rustc …` for each member. The outer call passed the inner one through
// as another program (a node start each: a warm check 2.7 times as long) and it was counted twice
// (an IDE-flows helper's finding).
t.test('splitcache as both RUSTC_WRAPPER and RUSTC_WORKSPACE_WRAPPER: each call counted once, none passed through', async (t) => {
  const store = new Store();
  const ws = copyFixture();
  t.teardown(() => store.stop());
  const env = { RUSTC_WORKSPACE_WRAPPER: store.env().RUSTC_WRAPPER };
  assertOk(t, await store.cargo(ws, ['build'], env));
  await store.cargo(ws, ['clean']);
  assertOk(t, await store.cargo(ws, ['build'], env));
  const s = await store.stats();
  t.same(s.passthrough, {}, 'nothing passed through (before: other-program, once per member call)');
  t.ok(s.misses > 0 && s.hits === s.misses, `every crate missed once and then hit (${s.hits} hits, ${s.misses} misses)`);
});

t.test("rustc's info calls (-vV, --print, stdin) go straight to rustc: no node, no store", async (t) => {
  const store = new Store();
  const rustc = await realRustc();
  // No node on PATH: a call that reached the client could not start at all
  // (nor could `-vV` start a daemon, as it does below).
  const env = { ...store.env(), PATH: '/usr/bin/does-not-exist' };
  const vv = await run(BIN, [rustc, '-vV'], { env });
  t.equal(vv.code, 0, vv.stderr);
  t.match(vv.stdout, /^rustc \d+\.\d+\.\d+/);
  t.match(vv.stdout, /\nhost: /);
  const sysroot = await run(BIN, [rustc, '--print', 'sysroot'], { env });
  t.equal(sysroot.code, 0, sysroot.stderr);
  t.match(sysroot.stdout.trim(), /^\//);
  const names = await run(BIN, [rustc, '-', '--crate-name', '___', '--print=file-names', '--crate-type', 'lib'], { env });
  t.equal(names.code, 0, names.stderr);
  t.equal(names.stdout.trim(), 'lib___.rlib');
  t.notOk(existsSync(join(store.dir, 'index')), 'the store was never opened');
  // A compile, by contrast, needs the client: with no node it runs rustc plainly (the next test).
  const compile = await run(BIN, [rustc, '--crate-name', 'x', '--edition=2021', join(tempDir('src'), 'missing.rs')], { env: { ...env, TMPDIR: tempDir('tmp') } });
  t.not(compile.code, 0, "rustc's own failure");
  t.match(compile.stderr, /SPLITCACHE_NODE_MISSING/, 'after one line that says why it ran uncached');
  t.match(compile.stderr, /missing\.rs/, "and rustc's error");
});

/** A lib crate in a new dir, and the arguments that compile it into its out/. */
function libCall(text: string): { cwd: string; args: string[] } {
  const cwd = oneFileCrate(`pub fn text() -> &'static str { "${text}" }\n`);
  return { cwd, args: ['--crate-name', 'nodeless', '--edition=2021', 'src/main.rs', '--crate-type', 'lib', '--emit=dep-info,metadata,link', '--out-dir', join(cwd, 'out')] };
}

t.test('with no node to run the client, a compile builds uncached with one line a minute, and a subcommand says what is missing', async (t) => {
  const store = new Store();
  const rustc = await realRustc();
  // A PATH with the tools a shell has, but no node.
  const bin = tempDir('path');
  for (const tool of ['find', 'id', 'mkdir', 'rm']) symlinkSync(spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim(), join(bin, tool));
  const env = { ...store.env(), PATH: bin, TMPDIR: tempDir('tmp') };
  const calls = [libCall('one'), libCall('two')];
  const results = [];
  for (const c of calls) results.push(await run(BIN, [rustc, ...c.args], { cwd: c.cwd, env }));
  results.forEach((r, i) => {
    t.equal(r.code, 0, `call ${i} builds (${r.stderr})`);
    t.ok(existsSync(join(calls[i]!.cwd, 'out', 'libnodeless.rlib')), `call ${i} wrote its rlib`);
  });
  t.match(results[0]!.stderr, /^splitcache: SPLITCACHE_NODE_MISSING: cannot find 'node' to run \(building uncached; [^\n]*\)\n$/, 'the first call says why, in one line');
  t.equal(results[1]!.stderr, '', 'the next one, within the minute, says nothing');
  const own = join(env.TMPDIR, `splitcache-${process.getuid!()}`);
  t.same(readdirSync(env.TMPDIR), [`splitcache-${process.getuid!()}`], "its marker is in the user's own dir, not in the shared temp dir");
  t.equal(statSync(own).mode & 0o777, 0o700, 'which only the user may enter');
  // Calls at once (cargo -j): one line between them, where each said it before.
  for (const f of readdirSync(own)) rmSync(join(own, f));
  const together = await Promise.all([libCall('a'), libCall('b'), libCall('c'), libCall('d')].map((c) => run(BIN, [rustc, ...c.args], { cwd: c.cwd, env })));
  t.equal(together.filter((r) => r.stderr.includes('SPLITCACHE_NODE_MISSING')).length, 1, 'four calls at once: one line');
  t.notOk(existsSync(join(store.dir, 'index')), 'no store was opened');

  // SPLITCACHE_NODE names a node that isn't on PATH; here one that doesn't exist.
  const named = libCall('three');
  const r = await run(BIN, [rustc, ...named.args], { cwd: named.cwd, env: { ...env, SPLITCACHE_NODE: '/nowhere/node', TMPDIR: tempDir('tmp') } });
  t.equal(r.code, 0, r.stderr);
  t.match(r.stderr, /cannot find '\/nowhere\/node'/, 'the line names the node it looked for');

  const stats = await run(BIN, ['stats'], { env });
  t.equal(stats.code, 127, 'a subcommand fails as a missing command does');
  // Both bounds, as the client's own line (client.ts) and the README give them: 22.0-22.2 are too old.
  t.match(stats.stderr, /^splitcache: SPLITCACHE_NODE_MISSING: [^\n]*Node\.js 20\.16 or later \(22\.3 or later on 22\)[^\n]*\n$/, 'with one line that says what to install');
  // bin/splitcache keeps its own list of the client's subcommands: the two must agree.
  const listed = /^\s*''\|-\*\|([a-z|]+)\)$/m.exec(readFileSync(BIN, 'utf8'))?.[1]?.split('|');
  t.same([...(listed ?? [])].sort(), [...SUBCOMMANDS].sort(), "bin/splitcache's list is the client's");
  for (const name of SUBCOMMANDS.filter((n) => n !== 'cargo')) {
    const r = await run(BIN, [name], { env });
    t.ok(r.code === 127 && r.stderr.includes('SPLITCACHE_NODE_MISSING'), `\`splitcache ${name}\` is a subcommand there too (${r.code}: ${r.stderr.trim()})`);
  }
  // `splitcache cargo` runs cargo all the same, with the wrapper set: its calls build uncached as above.
  const cargo = (await run('rustup', ['which', 'cargo'])).stdout.trim();
  const viaCargo = await run(BIN, ['cargo', '--version'], { env: { ...env, CARGO: cargo, TMPDIR: tempDir('tmp') } });
  t.equal(viaCargo.code, 0, `\`splitcache cargo --version\` runs cargo (${viaCargo.stderr})`);
  t.match(viaCargo.stdout, /^cargo \d+\./, "and shows cargo's own output");
  t.match(viaCargo.stderr, /^splitcache: SPLITCACHE_NODE_MISSING: cannot find 'node' to run \(running cargo uncached; put Node\.js 20\.16 or later \(22\.3 or later on 22\)[^\n]*\)\n$/, 'after one line that says so');
  const quiet = await run(BIN, ['cargo', '--version'], { env: { ...env, CARGO: cargo, TMPDIR: tempDir('tmp'), SPLITCACHE_LOG: 'quiet' } });
  t.same([quiet.code, quiet.stderr], [0, ''], 'which SPLITCACHE_LOG=quiet leaves out');
});

t.test('with a node older than 20.16 on PATH, every call builds uncached with one line a minute, and no daemon runs', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const rustc = await realRustc();
  const old = oldNodeDir();
  const env = { ...store.env(), PATH: `${old}:${process.env.PATH}`, TMPDIR: tempDir('tmp') };
  t.match((await run('node', ['--version'], { env })).stdout, /^v18\./, 'the node on PATH is 18');
  // cargo's first probe starts the daemon, with this node: it says why it can't run, and ends.
  const probe = await run(BIN, [rustc, '-vV'], { env });
  t.equal(probe.code, 0, probe.stderr);
  t.match(probe.stdout, /^rustc /m, 'the probe answers as rustc');
  t.ok(await waitFor(() => /SPLITCACHE_NODE_TOO_OLD: [^\n]*v18\.[^\n]*20\.16/.test(readFileSync(join(store.dir, 'daemon.log'), 'utf8'))), 'the daemon says in its log why it ended');
  // Through the exec port's absence (bash) and through the node client alike.
  const calls = [libCall('old one'), libCall('old two'), libCall('old three')];
  const results = [];
  for (const [i, c] of calls.entries()) results.push(await run(BIN, [rustc, ...c.args], { cwd: c.cwd, env: i === 2 ? { ...env, SPLITCACHE_CLIENT: 'node' } : env }));
  results.forEach((r, i) => {
    t.equal(r.code, 0, `call ${i} builds (${r.stderr})`);
    t.ok(existsSync(join(calls[i]!.cwd, 'out', 'libnodeless.rlib')), `call ${i} wrote its rlib`);
  });
  t.match(results[0]!.stderr, /^splitcache: SPLITCACHE_NODE_TOO_OLD: \S+ is Node\.js v18\.\d+\.\d+ \(building uncached; [^\n]*20\.16[^\n]*\)\n$/, 'the first call says why, in one line');
  t.equal(results[1]!.stderr + results[2]!.stderr, '', 'the next ones, within the minute, say nothing');
  t.notOk(existsSync(join(store.dir, 'index')), 'no store was opened');
  t.notOk(existsSync(join(store.dir, 'exec.port')), 'no daemon listens');

  const stats = await run(BIN, ['stats'], { env });
  t.equal(stats.code, 127, 'a subcommand fails as a missing command does');
  t.match(stats.stderr, /^splitcache: SPLITCACHE_NODE_TOO_OLD: [^\n]*v18\.[^\n]*Node\.js 20\.16[^\n]*\n$/, 'with one line that says what to install');
  // `splitcache cargo` runs cargo all the same, as with no node (it exited 127 without running cargo).
  const cargo = (await run('rustup', ['which', 'cargo'])).stdout.trim();
  const cargoTmp = tempDir('tmp');
  const viaCargo = await run(BIN, ['cargo', '--version'], { env: { ...env, CARGO: cargo, TMPDIR: cargoTmp } });
  t.equal(viaCargo.code, 0, `\`splitcache cargo --version\` runs cargo (${viaCargo.stderr})`);
  t.match(viaCargo.stdout, /^cargo \d+\./, "and shows cargo's own output");
  t.match(viaCargo.stderr, /^splitcache: SPLITCACHE_NODE_TOO_OLD: \S+ is Node\.js v18\.\d+\.\d+ \(running cargo uncached; [^\n]*\)\n$/, 'after one line that says so');
  // The build's one line: its calls', within the minute, say nothing (it was said twice a build).
  const crateCall = libCall('after cargo');
  const after = await run(BIN, [rustc, ...crateCall.args], { cwd: crateCall.cwd, env: { ...env, TMPDIR: cargoTmp } });
  t.same([after.code, after.stderr], [0, ''], 'a crate of that build says nothing more');
  const failing = await run(BIN, ['cargo', 'no-such-subcommand'], { env: { ...env, CARGO: cargo, SPLITCACHE_LOG: 'quiet' } });
  t.same([failing.code, /no such command/.test(failing.stderr), failing.stderr.includes('splitcache:')], [101, true, false], "it ends as cargo does, and SPLITCACHE_LOG=quiet leaves the line out");
});

t.test("the user's NODE_OPTIONS don't reach splitcache's own node, and do reach what it runs", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const rustc = await realRustc();
  // A relative --require: found in no crate's directory, it would stop every node that loaded it.
  const options = '--require ./no-such-hook.js';
  const env = store.env({ NODE_OPTIONS: options, SPLITCACHE_CLIENT: 'node' });
  const first = libCall('opts');
  const miss = await run(BIN, [rustc, ...first.args], { cwd: first.cwd, env });
  t.equal(miss.code, 0, miss.stderr);
  t.equal(miss.stderr, '', 'the call says nothing');
  const again = libCall('opts');
  const hit = await run(BIN, [rustc, ...again.args], { cwd: again.cwd, env });
  t.equal(hit.code, 0, hit.stderr);
  const s = await store.stats();
  t.same([s.misses, s.hits], [1, 1], 'the daemon started and cached: one miss, then a hit');
  t.ok(existsSync(join(again.cwd, 'out', 'libnodeless.rlib')), 'the hit wrote the rlib');
  // A program the client runs gets the environment it was called with, NODE_OPTIONS as it was.
  const shown = await run(BIN, ['/usr/bin/env'], { env });
  t.equal(shown.code, 0, shown.stderr);
  const lines = shown.stdout.split('\n');
  // (tap adds its own hook to NODE_OPTIONS in every child it spawns.)
  const seen = lines.find((l) => l.startsWith('NODE_OPTIONS='));
  t.ok(seen?.includes('./no-such-hook.js'), `env sees NODE_OPTIONS restored (${seen})`);
  t.notOk(lines.some((l) => l.startsWith('SPLITCACHE_PARKED_')), 'and nothing parked');
  const daemonEnv = readFileSync(`/proc/${store.daemonPid()}/environ`, 'utf8').split('\0');
  t.notOk(daemonEnv.some((l) => l.startsWith('NODE_OPTIONS=')), 'the daemon runs without them');
});

t.test("cargo's first probe, `rustc -vV` alone, starts the daemon in the background and answers as rustc", async (t) => {
  const rustc = await realRustc();
  const plain = await run(rustc, ['-vV']);
  const store = new Store(join(tempDir('probe'), 'new', 'store'));
  t.teardown(() => store.stop());
  const vv = await run(BIN, [rustc, '-vV'], { env: store.env() });
  t.equal(vv.code, 0, vv.stderr);
  t.equal(vv.stdout, plain.stdout, "rustc's own answer, byte for byte");
  t.equal(vv.stderr, '', 'and nothing else');
  t.ok(await waitFor(() => existsSync(join(store.dir, 'exec.port')), 20_000), 'a daemon comes up in a store dir that did not exist, with no other call');
  t.ok(store.daemonPid() > 0, 'daemon.pid names it');

  // The other info calls start nothing: only cargo's first probe is taken as a build coming.
  const other = new Store(join(tempDir('probe'), 'store'));
  for (const args of [['--print', 'sysroot'], ['-', '--crate-name', '___', '--print=file-names', '--crate-type', 'lib'], ['-V'], ['-vV', '--print', 'cfg']]) {
    const r = await run(BIN, [rustc, ...args], { env: other.env() });
    t.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  }
  t.notOk(existsSync(other.dir), 'no store dir, so no daemon, for --print, stdin, -V or -vV with more');
});
