/**
 * Callers of the exec port that bin/splitcache makes only on other machines.
 * bash 4.4 to 5.0 (RHEL 8, Ubuntu 20.04) say `sc-exec/10`, and the daemon never
 * has them start a link step's rustc ahead (`pre`), which needs bash 5.1's
 * `wait` on a process substitution's pid. A caller that can't read its own
 * /proc/<pid>/stat sends no stat line, and the daemon finds its connection in
 * /proc/net/tcp instead (procCaller.ts). A caller of the version before
 * (`sc-exec/9`, which took a tee run's stderr over a second connection) has
 * its tee runs carried quiet. Each test runs a copy of
 * bin/splitcache with one line changed; everything else in it (the runs, the
 * watchdog beside a miss's rustc, the answers) is the script as it ships.
 */
import t, { type Test } from 'tap';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, BIN, copyFixture, printingCrate, printingCrateArgs, ROOT, run, runOnPipes, Store, tempDir, timingLines } from './helpers.js';

/** A copy of bin/splitcache with `from` (which must be in it once) made `to`, beside this checkout's packages. */
function changedScript(from: string, to: string): string {
  const script = readFileSync(BIN, 'utf8');
  if (script.split(from).length !== 2) throw new Error(`bin/splitcache does not hold \`${from}\` once`);
  const root = tempDir('install-changed');
  mkdirSync(join(root, 'bin'));
  writeFileSync(join(root, 'bin', 'splitcache'), script.replace(from, to), { mode: 0o755 });
  symlinkSync(join(ROOT, 'packages'), join(root, 'packages'));
  return join(root, 'bin', 'splitcache');
}

/** A store, a fixture workspace, and the env that builds it through `wrapper` with a timing log. */
function fixtureThrough(t: Test, wrapper: string) {
  const store = new Store();
  t.teardown(() => store.stop());
  const log = join(tempDir('timing'), 'calls.jsonl');
  return { store, ws: copyFixture(), log, env: { RUSTC_WRAPPER: wrapper, SPLITCACHE_TIMING_LOG: log } };
}

t.test('a build through the exec port as sc-exec/10: every call cached, none started ahead, output as plain cargo makes it', async (t) => {
  const { store, ws, log, env } = fixtureThrough(t, changedScript('-ge 51 ]; then magic=sc-exec/11;', '-ge 999 ]; then magic=sc-exec/11;'));
  const plain = await run('cargo', ['build', '--target-dir', join(ws, 'plain')], { cwd: ws, env: { ...process.env, CARGO_INCREMENTAL: '0' } });
  assertOk(t, plain, 'the plain build succeeds');
  t.equal((await store.splitcache(['server', 'start'])).code, 0, 'the daemon starts');

  const cold = await store.cargo(ws, ['build'], env);
  assertOk(t, cold, 'the cold build succeeds');
  t.match(cold.stderr, /unused variable/, "a miss's warning is relayed as rustc writes it");
  await store.cargo(ws, ['clean']);
  const warm = await store.cargo(ws, ['build'], env);
  assertOk(t, warm, 'the warm build succeeds');
  t.match(warm.stderr, /unused variable/, 'and replayed on its hit');

  const calls = timingLines(log);
  t.equal(calls.length, 10, 'five calls in each build');
  t.same(calls.filter((c) => c.client !== 'exec'), [], 'every call went through the exec port');
  t.same(calls.filter((c) => c.prestarted !== undefined || c.linkedAhead !== undefined), [], 'no rustc was started ahead: sc-exec/10 is never asked to');
  const stats = await store.stats();
  t.equal(stats.misses, 5, 'the cold build missed five times');
  t.equal(stats.hits, 5, 'the warm build hit five times, the bin, the proc-macro and the build script with their link steps');
  t.same(readFileSync(join(ws, 'target/debug/fx-app')), readFileSync(join(ws, 'plain/debug/fx-app')), 'the bin is byte-identical to the plain build');
  const ran = await run(join(ws, 'target/debug/fx-app'), []);
  t.equal(ran.code, 0, 'and runs');

  writeFileSync(join(ws, 'util/src/lib.rs'), `${readFileSync(join(ws, 'util/src/lib.rs'), 'utf8')}\npub fn broken() -> u32 { "not a number" }\n`);
  const failed = await store.cargo(ws, ['build'], env);
  t.equal(failed.code, 101, "a compile error fails the build with cargo's exit code");
  t.match(failed.stderr, /error\[E0308\]: mismatched types/, "and shows rustc's error");
  const after = await store.stats();
  t.equal(after.misses, 6, 'the broken crate missed');
  t.equal(after.compileErrors, 1, 'and is counted as a compile error, nothing stored');
});

t.test("a caller that can't read its own stat line is checked through the connection table, and served", async (t) => {
  const wrapper = changedScript('read -r sc_stat </proc/self/stat', 'read -r sc_stat </proc/self/no-such-file');
  const store = new Store();
  t.teardown(() => store.stop());
  t.equal((await store.splitcache(['server', 'start'])).code, 0, 'the daemon starts');
  const cwd = printingCrate('unproved');
  const log = join(tempDir('timing'), 'calls.jsonl');
  const env = store.env({ SPLITCACHE_TIMING_LOG: log });
  const miss = await runOnPipes(wrapper, ['rustc', ...printingCrateArgs(cwd)], { cwd, env });
  assertOk(t, miss, 'the call builds');
  const hit = await runOnPipes(wrapper, ['rustc', ...printingCrateArgs(cwd)], { cwd, env });
  assertOk(t, hit, 'and again');
  t.same(timingLines(log).map((c) => c.client ?? 'node'), ['exec', 'exec'], 'both through the exec port');
  const stats = await store.stats();
  t.same([stats.misses, stats.hits], [1, 1], 'a miss, then a hit');
  t.equal((await run(join(cwd, 'out', 'trial-t'), [])).stdout, 'unproved\n', 'the binary is right');
});

t.test("a caller of the version before (sc-exec/9): a miss's tee run is carried quiet, its output relayed once it ends, and stored", async (t) => {
  const { store, ws, log, env } = fixtureThrough(t, changedScript('then magic=sc-exec/11;', 'then magic=sc-exec/9;'));
  t.equal((await store.splitcache(['server', 'start'])).code, 0, 'the daemon starts');
  const cold = await store.cargo(ws, ['build'], env);
  assertOk(t, cold, 'the cold build succeeds');
  t.match(cold.stderr, /unused variable/, "a miss's warning is relayed");
  t.notMatch(cold.stderr, /splitcache:/, 'and nothing of splitcache is said');
  await store.cargo(ws, ['clean']);
  const warm = await store.cargo(ws, ['build'], env);
  assertOk(t, warm, 'the warm build succeeds');
  t.match(warm.stderr, /unused variable/, 'and replayed on its hit');
  t.same(timingLines(log).filter((c) => c.client !== 'exec'), [], 'every call went through the exec port');
  const stats = await store.stats();
  t.same([stats.misses, stats.hits], [5, 5], 'five misses, all stored, then five hits');
  t.same(stats.notStored, {}, 'nothing left unstored');
  t.equal((await run(join(ws, 'target/debug/fx-app'), [])).code, 0, 'the bin runs');
});
