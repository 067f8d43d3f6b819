import type { Test } from 'tap';
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, copyFixture, fileTree, hitRate, run, Store, tempDir } from './helpers.js';

// Issue 3: the same project in two directories, with different CARGO_HOMEs and
// target dirs, shares hits and links correct binaries.
const BINARIES = ['fx-app', 'examples/demo'];

/** A cargo directory source holding one crate, tinydep 0.1.0 (`answer() == 42`): a registry without the network. */
function tinydepVendor(): string {
  return fileTree({
    'tinydep-0.1.0/Cargo.toml': '[package]\nname = "tinydep"\nversion = "0.1.0"\nedition = "2021"\n',
    'tinydep-0.1.0/src/lib.rs': 'pub fn answer() -> u32 { 42 }\n',
    'tinydep-0.1.0/.cargo-checksum.json': `{"files":{},"package":"${'0'.repeat(64)}"}`,
  }, 'vendor');
}

async function twoCheckouts(t: Test, extra: NodeJS.ProcessEnv) {
  const store = new Store();
  t.teardown(() => store.stop());
  const a = copyFixture(join(tempDir('a'), 'ws'));
  const b = copyFixture(join(tempDir('b'), 'a', 'much', 'longer', 'checkout'));
  const ta = tempDir('t1');
  const tb = join(tempDir('t2'), 'nested', 'target');
  const ra = await store.cargo(a, ['build', '--all-targets'], { ...extra, CARGO_HOME: tempDir('home-x'), CARGO_TARGET_DIR: ta, SPLITCACHE_SESSION: 'a' });
  assertOk(t, ra, 'checkout A builds');
  const rb = await store.cargo(b, ['build', '--all-targets'], { ...extra, CARGO_HOME: tempDir('home-y'), CARGO_TARGET_DIR: tb, SPLITCACHE_SESSION: 'b' });
  assertOk(t, rb, 'checkout B builds');
  return { store, a, b, ta, tb, rb };
}

t.test('a checkout in another directory, CARGO_HOME and target dir hits ≥ 95%', async (t) => {
  const { store, b, tb, rb } = await twoCheckouts(t, {});
  const { rate, missed } = hitRate(await store.calls('b'));
  t.ok(rate >= 0.95, `hit rate ${(rate * 100).toFixed(1)} % (missed: ${missed.join(', ') || 'none'})`);
  const events = await store.audit('b');
  for (const type of ['bin', 'build-script', 'proc-macro', 'test']) {
    t.ok(events.some((e) => e.outcome === 'hit' && e.crateType === type), `${type} crates hit across directories`);
  }
  // Diagnostics and dep-info name this checkout, not the producer's.
  t.match(rb.stderr, /unused variable/, 'the warning is replayed');
  t.notMatch(rb.stderr, /\/ws\//, 'no path of checkout A in the replayed output');
  const depInfo = readFileSync(join(tb, 'debug', 'fx-app.d'), 'utf8');
  t.ok(depInfo.includes(b), 'dep-info names checkout B');
  t.notOk(depInfo.includes('/ws/'), 'and not checkout A');

  // Every binary runs and prints what an uncached build prints.
  const plainTarget = tempDir('plain');
  assertOk(t, await run('cargo', ['build', '--all-targets', '--target-dir', plainTarget], { cwd: b, env: { ...process.env, CARGO_INCREMENTAL: '0', RUSTC_WRAPPER: '' } }), 'plain build');
  for (const bin of BINARIES) {
    const cached = await run(join(tb, 'debug', bin), []);
    const plain = await run(join(plainTarget, 'debug', bin), []);
    t.equal(cached.code, 0, `${bin} runs`);
    t.equal(cached.stdout, plain.stdout, `${bin} prints what the uncached build prints`);
  }
});

// rustc escapes a space in a dependency's path in dep-info (`\ `): cargo, reading a replayed
// .d, must find every file where this checkout has it, or the crate is never fresh.
for (const spaced of ['producer', 'consumer'] as const) {
  t.test(`a checkout whose path has a space, as the ${spaced}: the replayed dep-info leaves every crate fresh`, async (t) => {
    const store = new Store();
    t.teardown(() => store.stop());
    const withSpace = copyFixture(join(tempDir('sp'), 'my checkout'));
    const without = copyFixture(join(tempDir('nosp'), 'ws'));
    const [first, second] = spaced === 'producer' ? [withSpace, without] : [without, withSpace];
    assertOk(t, await store.cargo(first, ['build'], { SPLITCACHE_SESSION: 'first' }), 'the first checkout builds');
    assertOk(t, await store.cargo(second, ['build'], { SPLITCACHE_SESSION: 'second' }), 'the second builds');
    const events = await store.calls('second');
    t.ok(events.length > 0 && events.every((e) => e.outcome === 'hit'), `every call of the second hits (${events.map((e) => e.outcome).join(', ')})`);
    const again = await store.cargo(second, ['build', '-v']);
    assertOk(t, again, 'and builds again');
    t.notMatch(again.stderr, /Dirty|Compiling/, `where cargo finds every crate fresh (${again.stderr.split('\n').filter((l) => /Dirty/.test(l)).join(' | ')})`);
    // fx-core includes its build script's output, which rustc names by absolute path.
    const deps = join(second, 'target', 'debug', 'deps');
    const depInfo = readFileSync(join(deps, readdirSync(deps).find((f) => /^fx_core-.*\.d$/.test(f))!), 'utf8');
    t.match(depInfo, `: core/src/lib.rs ${second.replace(/ /g, '\\ ')}/target/debug/build/fx-core-`, "fx-core's dep-info names its generated source in this checkout, escaped as rustc escapes it");
  });
}

t.test('with SPLITCACHE_REMAP=1 the binaries are byte-identical across directories', async (t) => {
  const { store, ta, tb } = await twoCheckouts(t, { SPLITCACHE_REMAP: '1' });
  const { rate } = hitRate(await store.calls('b'));
  t.ok(rate >= 0.95, `hit rate ${(rate * 100).toFixed(1)} %`);
  for (const bin of BINARIES) {
    t.ok(readFileSync(join(ta, 'debug', bin)).equals(readFileSync(join(tb, 'debug', bin))), `${bin} is the same in both checkouts`);
    t.notOk(readFileSync(join(tb, 'debug', bin)).includes(Buffer.from(tb)), `${bin} does not embed the target dir`);
  }
});

t.test('entries made by stable rustc are a miss for nightly, never a link error', { skip: spawnSync('rustup', ['run', 'nightly', 'rustc', '-V']).status !== 0 && 'nightly is not installed' }, async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = copyFixture();
  assertOk(t, await store.cargo(ws, ['build'], { SPLITCACHE_SESSION: 'stable' }), 'stable builds');
  await store.cargo(ws, ['clean']);
  const r = await store.cargo(ws, ['+nightly', 'build'], { SPLITCACHE_SESSION: 'nightly' });
  assertOk(t, r, 'nightly builds against the same store');
  const events = await store.calls('nightly');
  t.ok(events.length > 0 && events.every((e) => e.outcome === 'miss'), `every nightly call missed (${events.length})`);
  t.notMatch(r.stderr, /SPLITCACHE_/, 'no cache error on the way');
  t.match((await run(join(ws, 'target/debug/fx-app'), [])).stdout, /double=42/, 'the nightly binary runs');
});

// rustc names the crates a link step reads by their real paths, every symlink resolved, where
// the objects and the out-dir keep the path cargo gave. With target dirs that are symlinks
// (`target -> /cache/...`, a CARGO_TARGET_DIR on a symlinked volume), the bin's .rlink named
// checkout A's real target dir, under no prefix but the temp dir's, and checkout B's hit
// linked A's crates: A's util changed and built since, under the same file name, B's binary
// ran A's new code (double=63), and nothing said so.
t.test('two checkouts whose target dirs are symlinks: each binary links its own crates, after the other changed its own', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const [a, b] = ['a', 'b'].map((n) => {
    const ws = copyFixture(join(tempDir(n), 'ws'));
    symlinkSync(tempDir(`${n}-real-target`), join(ws, 'target'));
    return ws;
  }) as [string, string];
  assertOk(t, await store.cargo(a, ['build']), 'checkout A builds');
  const util = join(a, 'util/src/lib.rs');
  writeFileSync(util, readFileSync(util, 'utf8').replace('x * 2', 'x * 3'));
  assertOk(t, await store.cargo(a, ['build']), 'and again, its util changed');
  t.match((await run(join(a, 'target/debug/fx-app'), [])).stdout, /double=63/, "A's binary runs A's new code");
  const rb = await store.cargo(b, ['build'], { SPLITCACHE_SESSION: 'b' });
  assertOk(t, rb, 'checkout B, as A was at first, builds');
  t.match((await run(join(b, 'target/debug/fx-app'), [])).stdout, /double=42/, "B's binary runs B's code");
  t.notMatch(rb.stderr, /SPLITCACHE_/, 'with no cache fault on the way');
  const { rate, missed } = hitRate(await store.calls('b'));
  t.equal(rate, 1, `every call of B hits (missed: ${missed.join(', ') || 'none'})`);
});

// The daemon learns a call's cwd from the kernel, every symlink resolved, while cargo names a
// registry crate's files (and its own dir, CARGO_MANIFEST_DIR) in the form it has them: with
// the registry reached through a symlink (a CARGO_HOME under a home dir that is a link, a
// source replacement directory named by one), the keys of its crates named the registry by its
// real path in one checkout and by cargo's in the other, and neither hit the other's entries.
t.test('a registry reached through a symlink in one checkout and not in the other: every crate hits', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const vendor = tinydepVendor();
  const link = join(tempDir('link'), 'registry');
  symlinkSync(vendor, link);
  const checkout = (registry: string) =>
    fileTree({
      'Cargo.toml': '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\ntinydep = "0.1"\n',
      'src/main.rs': 'fn main() { println!("answer={}", tinydep::answer()); }\n',
      '.cargo/config.toml': `[source.crates-io]\nreplace-with = "vendored"\n\n[source.vendored]\ndirectory = "${registry}"\n`,
    }, 'app');
  const [a, b] = [checkout(link), checkout(vendor)];
  assertOk(t, await store.cargo(a, ['build', '--offline'], { SPLITCACHE_SESSION: 'a' }), 'checkout A, its registry through a link, builds');
  const rb = await store.cargo(b, ['build', '--offline'], { SPLITCACHE_SESSION: 'b' });
  assertOk(t, rb, 'checkout B, its registry by its own path, builds');
  const { rate, total, missed } = hitRate(await store.calls('b'));
  t.ok(total >= 2, `${total} cacheable calls`);
  t.equal(rate, 1, `every call of B hits (missed: ${missed.join(', ') || 'none'})`);
  t.equal((await run(join(b, 'target/debug/app'), [])).stdout, 'answer=42\n', "B's binary runs");
  const again = await store.cargo(b, ['build', '--offline', '-v']);
  t.notMatch(again.stderr, /Dirty|Compiling/, 'and cargo finds every crate fresh after it');
});

t.test('a target dir given relative (`target-dir = "../target"`, as a monorepo shares one): crates that link are stored, and a checkout elsewhere hits every call', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const vendor = tinydepVendor();
  const files = {
    'Cargo.toml': '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\ntinydep = "0.1"\n',
    'build.rs': 'fn main() { println!("cargo:rustc-env=BUILT_BY=build.rs"); }\n',
    'src/main.rs': 'fn main() { println!("answer={} {}", tinydep::answer(), env!("BUILT_BY")); }\n',
    '.cargo/config.toml': `[source.crates-io]\nreplace-with = "vendored"\n\n[source.vendored]\ndirectory = "${vendor}"\n\n[build]\ntarget-dir = "../target"\n`,
  };
  // cargo joins the relative target dir to the workspace's: rustc gets `<checkout>/../target/…`.
  const a = join(fileTree(Object.fromEntries(Object.entries(files).map(([k, v]) => [`ws/${k}`, v])), 'rel-a'), 'ws');
  const b = join(fileTree(Object.fromEntries(Object.entries(files).map(([k, v]) => [`deeper/ws/${k}`, v])), 'rel-b'), 'deeper', 'ws');
  assertOk(t, await store.cargo(a, ['build', '--offline'], { SPLITCACHE_SESSION: 'a' }), 'checkout A builds');
  t.same((await store.stats()).notStored ?? {}, {}, "every result of A's was stored, the crates that link too");
  assertOk(t, await store.cargo(b, ['build', '--offline'], { SPLITCACHE_SESSION: 'b' }), 'checkout B builds');
  const { rate, total, missed } = hitRate(await store.calls('b'));
  t.equal(total, 3, 'three cacheable calls: tinydep, the build script and app');
  t.equal(rate, 1, `every call of B hits (missed: ${missed.join(', ') || 'none'})`);
  t.equal((await run(join(b, '..', 'target', 'debug', 'app'), [])).stdout, 'answer=42 build.rs\n', "B's binary runs");
});

t.test('a build dir apart from the target dir (CARGO_BUILD_BUILD_DIR, cargo 1.91), both elsewhere in each checkout: every call hits', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const a = copyFixture(join(tempDir('bd-a'), 'ws'));
  const b = copyFixture(join(tempDir('bd-b'), 'a', 'deeper', 'ws'));
  // rustc writes under the build dir; cargo copies the final artifacts into the target dir.
  const dirs = (tag: string) => ({ CARGO_TARGET_DIR: join(tempDir(`${tag}-target`), 'out'), CARGO_BUILD_BUILD_DIR: join(tempDir(`${tag}-build`), 'x', 'y') });
  const [da, db] = [dirs('a'), dirs('b')];
  assertOk(t, await store.cargo(a, ['build', '--all-targets'], { ...da, SPLITCACHE_SESSION: 'a' }), 'checkout A builds');
  assertOk(t, await store.cargo(b, ['build', '--all-targets'], { ...db, SPLITCACHE_SESSION: 'b' }), 'checkout B builds');
  const { rate, total, missed } = hitRate(await store.calls('b'));
  t.ok(total >= 10, `${total} cacheable calls`);
  t.equal(rate, 1, `every call of B hits (missed: ${missed.join(', ') || 'none'})`);
  t.equal((await run(join(db.CARGO_TARGET_DIR, 'debug', 'fx-app'), [])).code, 0, "B's binary, in B's target dir, runs");
});
