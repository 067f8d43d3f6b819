import t from 'tap';
import { spawnSync } from 'node:child_process';
import { rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, fileTree, run, Store, tempDir } from './helpers.js';

// `cargo clippy` runs each workspace member as `splitcache clippy-driver rustc
// <args…>` (RUSTC_WORKSPACE_WRAPPER). Those calls are cached under keys of
// their own (packages/rustc/src/driver.ts; daemon manifestKey.ts, item 13).

const hasClippy = spawnSync('cargo', ['clippy', '--version'], { encoding: 'utf8' }).status === 0;

/** A package with a lib that trips clippy::ptr_arg, a build script (linked: split) and a bin. */
function lintedPackage(): string {
  return fileTree(
    {
      'Cargo.toml': '[package]\nname = "linted"\nversion = "0.1.0"\nedition = "2021"\n',
      'build.rs': 'fn main() {\n    println!("cargo:rerun-if-changed=build.rs");\n}\n',
      'src/lib.rs': 'pub fn count(v: &Vec<i32>) -> usize {\n    v.len()\n}\n\npub fn sum(v: &[i32]) -> i32 {\n    let mut s = 0;\n    for x in v {\n        s += x;\n    }\n    s\n}\n',
      'src/main.rs': 'fn main() {\n    println!("{}", linted::count(&vec![1, 2]));\n}\n',
    },
    'clippy',
  );
}

const PTR_ARG = 'writing `&Vec` instead of `&[_]`';
const LONG_FN = 'this function has too many lines';
/**
 * cargo's diagnostics, without its progress lines (whose timings differ run
 * to run), sorted, and without its "(1 duplicate)" notes: targets that
 * finish together are reported in either order, and the note goes to the later.
 */
const diagnostics = (stderr: string) =>
  stderr
    .split('\n')
    .filter((l) => !/^\s*(Compiling|Checking|Finished|Blocking|Running)\b/.test(l))
    .map((l) => l.replace(/ \(\d+ duplicates?\)/, ''))
    .sort();

t.test('cargo clippy: workspace members hit after cargo clean, lints replayed, apart from cargo check', { skip: !hasClippy && 'no clippy in this toolchain' }, async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = lintedPackage();
  const clippy = (args: string[] = []) => store.cargo(ws, ['clippy', '--offline', '--all-targets', ...args]);

  const plain = await run('cargo', ['clippy', '--offline', '--all-targets', '--target-dir', tempDir('clippy-plain')], { cwd: ws, env: { ...process.env, CARGO_INCREMENTAL: '0', CARGO_TERM_COLOR: 'never', RUSTC_WRAPPER: '' } });
  assertOk(t, plain, 'plain cargo clippy');
  t.match(plain.stderr, PTR_ARG, 'which shows the lint');

  const cold = await clippy();
  assertOk(t, cold, 'the cold clippy run');
  t.same(diagnostics(cold.stderr), diagnostics(plain.stderr), 'its diagnostics are plain clippy\'s');
  const first = await store.stats();
  t.equal(first.hits, 0, 'nothing hits cold');
  t.ok(first.byType['clippy:lib']?.misses, `the lib is counted as a clippy call (${JSON.stringify(first.byType)})`);
  t.ok(first.byType['clippy:build-script']?.misses, 'and so is the build script, which links');
  t.same(first.passthrough, {}, 'nothing passes through');

  await store.cargo(ws, ['clean']);
  const warm = await clippy();
  assertOk(t, warm, 'the warm clippy run');
  const second = await store.stats();
  t.equal(second.hits, first.misses, `every call hits (${second.hits} of ${first.misses})`);
  t.equal(second.misses, first.misses, 'none misses');
  t.same(diagnostics(warm.stderr), diagnostics(plain.stderr), 'the lints are replayed as clippy printed them');

  // The same crates under plain rustc: no entry of clippy's may answer them.
  await store.cargo(ws, ['clean']);
  const check = await store.cargo(ws, ['check', '--offline', '--all-targets']);
  assertOk(t, check, 'cargo check');
  t.notMatch(check.stderr, PTR_ARG, 'shows no clippy lint');
  t.equal((await store.stats()).hits, second.hits, 'and hits none of clippy\'s entries');

  // Lint flags after `--` reach clippy-driver in CLIPPY_ARGS: a denied lint fails the build, every time.
  for (const round of ['cold', 'again']) {
    await store.cargo(ws, ['clean']);
    const denied = await clippy(['--', '-D', 'clippy::ptr_arg']);
    t.not(denied.code, 0, `with the lint denied (${round}), the run fails`);
    t.match(denied.stderr, new RegExp(`error: ${PTR_ARG.replace(/[`&[\]_]/g, '\\$&')}`), 'on the lint, as an error');
  }
  t.ok((await store.stats()).compileErrors >= 2, 'and nothing is cached for it');
});

t.test('cargo clippy: a clippy.toml that appears, changes or goes is a miss', { skip: !hasClippy && 'no clippy in this toolchain' }, async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = lintedPackage();
  const conf = join(ws, 'clippy.toml');
  const round = async () => {
    await store.cargo(ws, ['clean']);
    const before = await store.stats();
    const r = await store.cargo(ws, ['clippy', '--offline', '--', '-W', 'clippy::too_many_lines']);
    assertOk(t, r, 'the clippy run');
    const after = await store.stats();
    return { lints: r.stderr.split(LONG_FN).length - 1, hits: after.hits - before.hits, misses: after.misses - before.misses };
  };
  const none = await round();
  t.equal(none.lints, 0, 'with no clippy.toml, no function is too long');
  t.equal((await round()).hits, none.misses, 'and a second run hits');

  writeFileSync(conf, 'too-many-lines-threshold = 1\n');
  const strict = await round();
  t.ok(strict.lints >= 1, `a new clippy.toml: its threshold applies (${strict.lints} lints)`);
  t.ok(strict.misses >= 2, 'to the members, which miss');

  writeFileSync(conf, 'too-many-lines-threshold = 100\n');
  const loose = await round();
  t.equal(loose.lints, 0, 'a changed clippy.toml applies too');
  t.ok(loose.misses >= 2, 'with misses again');

  rmSync(conf);
  const gone = await round();
  t.equal(gone.lints, 0, 'with clippy.toml gone');
  t.equal(gone.misses, 0, 'the first entries serve again');
});

// clippy's `cargo` lints read every package's manifest and the lock through `cargo metadata`,
// which no dep-info names: a hit passed `-D clippy::cargo_common_metadata` after the manifest lost
// the `keywords` it had when the entry was stored. Such calls run plainly.
t.test("cargo clippy with clippy's cargo lints runs them plainly: the manifest decides, as without the cache", { skip: !hasClippy && 'no clippy in this toolchain' }, async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const manifest = (keywords: boolean) =>
    '[package]\nname = "meta"\nversion = "0.1.0"\nedition = "2021"\ndescription = "d"\nlicense = "MIT"\nrepository = "https://example.org/r"\nreadme = "README.md"\n' +
    (keywords ? 'keywords = ["a"]\ncategories = ["development-tools"]\n' : '');
  const ws = fileTree({ 'Cargo.toml': '[workspace]\nmembers = ["m"]\nresolver = "2"\n', 'm/Cargo.toml': manifest(true), 'm/README.md': 'm\n', 'm/src/lib.rs': 'pub fn f() {}\n' }, 'cargo-lints');
  const lint = () => store.cargo(ws, ['clippy', '--offline', '--', '-D', 'clippy::cargo_common_metadata']);
  assertOk(t, await lint(), 'with keywords and categories, the lint passes');
  writeFileSync(join(ws, 'm', 'Cargo.toml'), manifest(false));
  assertOk(t, await store.cargo(ws, ['clean']), 'cargo clean');
  const r = await lint();
  t.not(r.code, 0, 'without them it fails, as plain clippy does');
  t.match(r.stderr, /package `meta` is missing `package\.keywords` metadata/, "with clippy's own error");
  t.equal((await store.stats()).passthrough['clippy-cargo-lints'], 2, 'both runs passed the call through');

  // Named in the crate root instead: the same.
  writeFileSync(join(ws, 'm', 'src', 'lib.rs'), '#![deny(clippy::cargo)]\npub fn f() {}\n');
  t.not((await store.cargo(ws, ['clippy', '--offline'])).code, 0, '#![deny(clippy::cargo)] in the source: it fails too');
  t.equal((await store.stats()).passthrough['clippy-cargo-lints'], 3, 'passed through');
});

// clippy warns when both .clippy.toml and clippy.toml are there, and reads the first: a hit stored
// with one of them lost that warning once the other appeared.
t.test('a second clippy config beside the first: its warning is shown, as plain clippy shows it', { skip: !hasClippy && 'no clippy in this toolchain' }, async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = fileTree({ 'Cargo.toml': '[package]\nname = "configured"\nversion = "0.1.0"\nedition = "2021"\n', 'src/lib.rs': 'pub fn count(v: &Vec<i32>) -> usize {\n    v.len()\n}\n' }, 'two-configs');
  writeFileSync(join(ws, '.clippy.toml'), 'too-many-lines-threshold = 100\n');
  assertOk(t, await store.cargo(ws, ['clippy', '--offline']), 'clippy with .clippy.toml');
  writeFileSync(join(ws, 'clippy.toml'), 'too-many-lines-threshold = 100\n');
  assertOk(t, await store.cargo(ws, ['clean']), 'cargo clean');
  const r = await store.cargo(ws, ['clippy', '--offline']);
  assertOk(t, r, 'clippy with both');
  t.match(r.stderr, /using config file `\S+\/\.clippy\.toml`, `\S+\/clippy\.toml` will be ignored/, "clippy's warning about the second file");
});

t.test('cargo clippy through a linked checkout: the clippy.toml clippy reads is keyed, and another such checkout hits', { skip: !hasClippy && 'no clippy in this toolchain' }, async (t) => {
  // clippy climbs from the package dir's real path: a clippy.toml there, beside no link, was in no
  // key (a path audit helper's repro); keyed by its real path, two linked checkouts missed each other.
  const store = new Store();
  t.teardown(() => store.stop());
  const links = tempDir('links');
  const checkout = (name: string) => {
    const ws = lintedPackage();
    writeFileSync(join(ws, 'clippy.toml'), 'too-many-lines-threshold = 2\n');
    symlinkSync(ws, join(links, name));
    return join(links, name);
  };
  const clippy = (link: string, session: string) =>
    run('cargo', ['clippy', '--offline', '--manifest-path', join(link, 'Cargo.toml'), '--', '-W', 'clippy::too_many_lines'], { cwd: links, env: store.env({ SPLITCACHE_SESSION: session }) });
  const a = await clippy(checkout('a'), 'a');
  assertOk(t, a, 'clippy of one linked checkout');
  t.match(a.stderr, LONG_FN, "its clippy.toml's threshold applies");
  const b = await clippy(checkout('b'), 'b');
  assertOk(t, b, 'and of another');
  t.match(b.stderr, LONG_FN, 'the lint replayed');
  const calls = await store.calls('b');
  t.ok(calls.length > 0 && calls.every((e) => e.outcome === 'hit'), `the other checkout hits (${calls.map((e) => `${e.crate}:${e.outcome}`).join(', ')})`);
});
