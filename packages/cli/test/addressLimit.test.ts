import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { assertOk, BIN, copyFixture, run, Store, tempDir } from './helpers.js';

// A shell with an address-space limit (`ulimit -v`, as batch schedulers and some login shells
// set): node's WebAssembly reserves a 10 GB cage for its memory, so a daemon started under a
// limit below that could not hash anything and never started, and under ~800 MB node itself
// could not start, while cargo and rustc built the fixture at 500 MB.

/** `cargo <args>` (or `splitcache cargo <args>`) under `ulimit -v kib`, in `ws`. */
function limited(kib: number, ws: string, env: NodeJS.ProcessEnv, command: string[]) {
  return run('bash', ['-c', `ulimit -v ${kib} && exec "$@"`, 'limited', ...command], { cwd: ws, env });
}

/** Asserts that plain cargo builds the fixture under `kib`: the premise of each case. */
async function plainBuilds(t: Test, kib: number): Promise<boolean> {
  const ws = copyFixture();
  const r = await limited(kib, ws, { ...process.env, CARGO_INCREMENTAL: '0', CARGO_TARGET_DIR: join(ws, 'plain') }, ['cargo', 'build', '-q']);
  return t.equal(r.code, 0, `plain cargo builds the fixture under ulimit -v ${kib} (${r.stderr.slice(-300)})`);
}

// Started by bin/splitcache (cargo's first `rustc -vV`), and by the node client where bash leaves
// the start to it: a store path of 100 bytes or more, whose socket goes to the temp dir.
// 4 GiB: V8 reserved 3 GB of it for a WebAssembly memory, and the daemon's next thread had no
// room; 1 GiB: glibc's arenas (64 MB each) as well.
for (const [starter, KIB] of [['bin/splitcache', 4 << 20], ['the node client', 4 << 20], ['bin/splitcache', 1 << 20], ['the node client', 1 << 20]] as const) {
  t.test(`under ulimit -v ${KIB >> 20} GiB the daemon starts (${starter}) and a clean build hits every crate`, async (t) => {
    if (!(await plainBuilds(t, KIB))) return;
    const store = new Store(starter === 'bin/splitcache' ? tempDir('store') : join(tempDir('store'), 'a-store-dir-whose-path-is-long-enough'.repeat(2)));
    t.teardown(() => store.stop());
    const ws = copyFixture();
    const cold = await limited(KIB, ws, store.env(), ['cargo', 'build', '-q']);
    assertOk(t, cold, 'the cold build succeeds');
    t.notMatch(cold.stderr, /SPLITCACHE_/, `and says nothing of splitcache (${cold.stderr.slice(-400)})`);
    t.doesNotThrow(() => store.daemonPid(), `a daemon runs (${store.daemonLog(1500)})`);
    spawnSync('cargo', ['clean', '-q'], { cwd: ws });
    const warm = await limited(KIB, ws, store.env(), ['cargo', 'build', '-q']);
    assertOk(t, warm, 'the warm build succeeds');
    const stats = await store.stats();
    t.same([stats.hits, stats.misses], [5, 5], 'five misses, then five hits');
    t.equal(spawnSync(join(ws, 'target', 'debug', 'fx-app'), { encoding: 'utf8' }).status, 0, 'and the binary runs');
  });
}

t.test('under ulimit -v 650 MiB, where node cannot start: the build goes on uncached with one line, and a subcommand says why', async (t) => {
  const KIB = 650 << 10;
  if (!(await plainBuilds(t, KIB))) return;
  const store = new Store();
  const env = store.env({ TMPDIR: tempDir('tmp') });
  const ws = copyFixture();
  const wrapped = await limited(KIB, ws, env, ['cargo', 'build', '-q']);
  assertOk(t, wrapped, 'a build with splitcache as RUSTC_WRAPPER succeeds');
  const lines = wrapped.stderr.split('\n').filter((l) => l.includes('splitcache'));
  t.same(lines, [`splitcache: SPLITCACHE_NODE_LIMITED: 'node' cannot start under this shell's address-space limit (ulimit -v ${KIB} KiB) (building uncached; node needs about 1 GiB of it)`], 'with one line, once for the build');
  t.notMatch(wrapped.stderr, /Trace\/breakpoint|Fatal process/, "and none of node's or bash's own words");
  spawnSync('cargo', ['clean', '-q'], { cwd: ws });
  // A new minute for the lines: a temp dir with no marker.
  const viaCargo = await limited(KIB, ws, { ...env, TMPDIR: tempDir('tmp') }, [BIN, 'cargo', 'build', '-q']);
  assertOk(t, viaCargo, '`splitcache cargo build` succeeds too');
  t.same(viaCargo.stderr.split('\n').filter((l) => l.includes('splitcache')).map((l) => l.replace(/;.*/, '')), [`splitcache: SPLITCACHE_NODE_LIMITED: 'node' cannot start under this shell's address-space limit (ulimit -v ${KIB} KiB) (running cargo uncached`], 'with one line, saying it runs cargo uncached (its calls say nothing more)');
  t.equal(spawnSync(join(ws, 'target', 'debug', 'fx-app'), { encoding: 'utf8' }).status, 0, 'and the binary runs');
  const stats = await limited(KIB, ws, env, [BIN, 'stats']);
  t.equal(stats.code, 1, 'a subcommand fails');
  t.match(stats.stderr, /^splitcache: SPLITCACHE_NODE_LIMITED: [^\n]*ulimit -v [^\n]*\n$/, 'with one line that names the limit');
  t.notOk(spawnSync('test', ['-e', join(store.dir, 'index')]).status === 0, 'no store was opened');
});
