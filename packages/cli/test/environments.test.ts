import t from 'tap';
import { spawnSync } from 'node:child_process';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, BIN, copyFixture, fileTree, run, Store, tempDir } from './helpers.js';

// The same build in two environments that differ only in what cannot change
// an output must share entries: a developer's terminal and CI, say.

t.test("CI's CARGO_INCREMENTAL=0 and a profile's incremental = false share entries, and so do wrappers set at other paths", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = copyFixture();
  assertOk(t, await store.cargo(ws, ['build'], { SPLITCACHE_SESSION: 'ci', CARGO_BUILD_JOBS: '2' }), 'a CI-style build: CARGO_INCREMENTAL=0, RUSTC_WRAPPER');
  const cold = await store.calls('ci');
  t.ok(cold.length >= 5 && cold.every((e) => e.outcome === 'miss'), `it compiled every crate (${cold.length})`);
  assertOk(t, await store.cargo(ws, ['clean']), 'cargo clean');

  const elsewhere = join(tempDir('install'), 'splitcache');
  symlinkSync(BIN, elsewhere);
  const dev = {
    SPLITCACHE_SESSION: 'dev', CARGO_INCREMENTAL: undefined, CARGO_PROFILE_DEV_INCREMENTAL: 'false',
    RUSTC_WRAPPER: undefined, CARGO_BUILD_RUSTC_WRAPPER: elsewhere, CARGO_BUILD_JOBS: '1', CARGO_TERM_COLOR: 'always',
  };
  assertOk(t, await store.cargo(ws, ['build'], dev), 'a developer-style build: the profile turns incremental off, the wrapper is set through cargo config from another path');
  t.same((await store.calls('dev')).map((e) => e.outcome), cold.map(() => 'hit'), 'hits every crate the CI build stored');
});

t.test('a workspace build and a `-p` build share the members they both compile', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  // Members one level down (crates/*): cargo runs their rustc in the workspace root, as it does
  // whether or not the build selected them, and only then says so in CARGO_PRIMARY_PACKAGE.
  const ws = fileTree({
    'Cargo.toml': '[workspace]\nmembers = ["crates/*"]\nresolver = "2"\n',
    'crates/base/Cargo.toml': '[package]\nname = "base"\nversion = "0.1.0"\nedition = "2021"\n',
    'crates/base/src/lib.rs': 'pub fn answer() -> u32 { 42 }\n',
    'crates/mid/Cargo.toml': '[package]\nname = "mid"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nbase = { path = "../base" }\n',
    'crates/mid/src/lib.rs': 'pub fn twice() -> u32 { base::answer() * 2 }\n',
    'crates/top/Cargo.toml': '[package]\nname = "top"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nmid = { path = "../mid" }\n',
    'crates/top/src/main.rs': 'fn main() { println!("{}", mid::twice()); }\n',
  }, 'members');
  assertOk(t, await store.cargo(ws, ['build'], { SPLITCACHE_SESSION: 'all' }), 'cargo build: every member selected');
  assertOk(t, await store.cargo(ws, ['clean']), 'cargo clean');
  assertOk(t, await store.cargo(ws, ['build', '-p', 'top'], { SPLITCACHE_SESSION: 'p' }), 'cargo build -p top: base and mid only as its dependencies');
  const calls = await store.calls('p');
  t.same(calls.map((e) => `${e.crate}:${e.outcome}`).sort(), ['base:hit', 'mid:hit', 'top:hit'], 'every call hits');
  t.equal((await run(join(ws, 'target', 'debug', 'top'), [])).stdout, '84\n', 'and the binary runs');
});

// cargo passes `--diagnostic-width=<columns>` to rustc when its stderr is a
// terminal, and nothing when it is a pipe or a file. A build in a terminal
// and one piped to a log (or run by CI, or an editor) must share entries,
// whatever the window's width, but for a crate whose warnings were rendered
// for a width: those serve that width only (diagnosticForm.ts; the fixture's
// fx_util warns on purpose). util-linux `script` gives cargo a terminal.
const skip = spawnSync('script', ['--version']).status === 0 ? false : 'util-linux script(1) is not installed';

t.test('a build in a terminal and a piped one share entries, whatever the width, but warnings rendered for a width', { skip }, async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = copyFixture();
  const inTerminal = (cols: number, session: string) =>
    run('script', ['-qec', `stty cols ${cols}; cargo build`, '/dev/null'], { cwd: ws, env: store.env({ SPLITCACHE_SESSION: session }) });

  const first = await inTerminal(120, 'tty-120');
  assertOk(t, first, 'a build in a 120-column terminal');
  t.match(first.stdout, /Finished/, 'cargo reported to the terminal');
  const cold = await store.calls('tty-120');
  t.ok(cold.length >= 5 && cold.every((e) => e.outcome === 'miss'), `it compiled every crate (${cold.length})`);

  assertOk(t, await store.cargo(ws, ['clean']), 'cargo clean');
  assertOk(t, await store.cargo(ws, ['build'], { SPLITCACHE_SESSION: 'piped' }), 'the same build with stderr on a pipe');
  // Each call as `crate:hit` or `crate:reason`, sorted.
  const seen = async (session: string) => (await store.calls(session)).map((e) => `${e.crate}:${e.outcome === 'hit' ? 'hit' : e.reason}`).sort();
  const allHit = (await seen('tty-120')).map((c) => c.replace(/:.*/, ':hit'));
  const warned = allHit.map((c) => (c === 'fx_util:hit' ? 'fx_util:diagnostic-form' : c));
  t.not(warned.join(), allHit.join(), 'fx_util is among them');
  t.same(await seen('piped'), warned, 'hits every crate the terminal build stored but the one whose warning was rendered for 120 columns');

  assertOk(t, await store.cargo(ws, ['clean']), 'cargo clean');
  assertOk(t, await inTerminal(200, 'tty-200'), 'a build in a 200-column terminal');
  t.same(await seen('tty-200'), warned, 'the same in another width');

  assertOk(t, await store.cargo(ws, ['clean']), 'cargo clean');
  assertOk(t, await inTerminal(120, 'tty-120-again'), 'a build in a 120-column terminal again');
  t.same(await seen('tty-120-again'), allHit, 'hits them all, its own width among the results of each');
});

// dash (Debian's and Ubuntu's /bin/sh) drops every variable whose name is no shell identifier
// before a script's first line, and cargo makes such names: CARGO_BIN_EXE_<bin> for a bin named
// with a dash, a build script's `cargo:rustc-env=A-B=…`. Under `#!/bin/sh` both failed to compile
// (`environment variable … not defined at compile time`) through every path of the wrapper.
t.test('variables whose names hold a dash reach rustc: CARGO_BIN_EXE_my-tool, a build script\'s rustc-env', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = fileTree({
    'Cargo.toml': '[package]\nname = "my-tool"\nversion = "0.1.0"\nedition = "2021"\n',
    'build.rs': 'fn main() { println!("cargo:rustc-env=GREETING-TEXT=hello from the build script"); }\n',
    'src/main.rs': 'fn main() { println!("{}", env!("GREETING-TEXT")); }\n',
    'tests/runs.rs':
      '#[test]\nfn runs_the_bin() {\n  let out = std::process::Command::new(env!("CARGO_BIN_EXE_my-tool")).output().unwrap();\n' +
      '  assert_eq!(String::from_utf8(out.stdout).unwrap(), "hello from the build script\\n");\n}\n',
  }, 'dashed-names');
  for (const [how, env] of [['cold', {}], ['warm, after cargo clean', {}], ['through the node client', { SPLITCACHE_CLIENT: 'node' }]] as const) {
    if (how !== 'cold') assertOk(t, await store.cargo(ws, ['clean']), 'cargo clean');
    const r = await store.cargo(ws, ['test', '--offline'], { SPLITCACHE_SESSION: how, ...env });
    assertOk(t, r, `cargo test, ${how}`);
    t.match(r.stdout, /test runs_the_bin \.\.\. ok/, `${how}: the test found and ran the bin`);
  }
  t.ok((await store.calls('warm, after cargo clean')).every((e) => e.outcome === 'hit'), 'the warm build hit every crate');
});

// cargo-make exports its task and git state (CARGO_MAKE_*) to the cargo it runs. Keyed as cargo's
// own variables, they split the entries: every crate missed at every commit. (CARGO_HOME, which
// the rustup proxy sets and a toolchain's own cargo does not: manifestKey.test.ts.)
t.test("another tool's CARGO_* variables do not split entries; a crate that reads one with env!() still misses on it", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = copyFixture();
  assertOk(t, await store.cargo(ws, ['build'], { SPLITCACHE_SESSION: 'a', CARGO_MAKE_GIT_HEAD_LAST_COMMIT_HASH: 'abc123' }), 'a build under cargo-make at one commit');
  assertOk(t, await store.cargo(ws, ['clean']), 'cargo clean');
  assertOk(t, await store.cargo(ws, ['build'], { SPLITCACHE_SESSION: 'b', CARGO_MAKE_GIT_HEAD_LAST_COMMIT_HASH: 'def456' }), 'at the next commit');
  const b = await store.calls('b');
  t.ok(b.length >= 5 && b.every((e) => e.outcome === 'hit'), `every crate hits (${b.map((e) => e.outcome).join(' ')})`);

  const reader = fileTree({
    'Cargo.toml': '[package]\nname = "reads-commit"\nversion = "0.1.0"\nedition = "2021"\n',
    'src/main.rs': 'fn main() { println!("{}", option_env!("CARGO_MAKE_GIT_HEAD_LAST_COMMIT_HASH").unwrap_or("none")); }\n',
  }, 'reads-commit');
  for (const hash of ['abc123', 'def456']) {
    assertOk(t, await store.cargo(reader, ['build'], { CARGO_MAKE_GIT_HEAD_LAST_COMMIT_HASH: hash }), `built at ${hash}`);
    t.equal((await run(join(reader, 'target/debug/reads-commit'), [])).stdout, `${hash}\n`, `a crate that reads it has ${hash}`);
    assertOk(t, await store.cargo(reader, ['clean']), 'cargo clean');
  }
});
