/**
 * The exec port as bash 4.4 to 5.0 use it (RHEL 8, Ubuntu 20.04): such a bash
 * says `sc-exec/6`, and the daemon never has it start a link step's rustc
 * ahead (`pre`), which needs bash 5.1's `wait` on a process substitution's
 * pid. This machine's bash is newer, so the test runs a copy of bin/splitcache
 * whose version test puts the line at a bash that can't exist: everything else
 * in that copy (the runs, the watchdog beside a miss's rustc, the answers) is
 * the script as it ships.
 */
import t from 'tap';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, BIN, copyFixture, ROOT, run, Store, tempDir, timingLines } from './helpers.js';

const SAYS_SEVEN = '-ge 51 ]; then magic=sc-exec/7;';

t.test('a build through the exec port as sc-exec/6: every call cached, none started ahead, output as plain cargo makes it', async (t) => {
  const root = tempDir('install-bash50');
  const script = readFileSync(BIN, 'utf8');
  t.equal(script.split(SAYS_SEVEN).length, 2, 'bin/splitcache has the one version test that picks sc-exec/7');
  const bin = join(root, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'splitcache'), script.replace(SAYS_SEVEN, '-ge 999 ]; then magic=sc-exec/7;'), { mode: 0o755 });
  symlinkSync(join(ROOT, 'packages'), join(root, 'packages'));
  const wrapper = join(bin, 'splitcache');

  const store = new Store();
  t.teardown(() => store.stop());
  const ws = copyFixture();
  const log = join(tempDir('timing'), 'calls.jsonl');
  const env = { RUSTC_WRAPPER: wrapper, SPLITCACHE_TIMING_LOG: log };
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
  t.same(calls.filter((c) => c.prestarted !== undefined || c.linkedAhead !== undefined), [], 'no rustc was started ahead: sc-exec/6 is never asked to');
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
