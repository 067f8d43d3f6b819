import t from 'tap';
import { spawnSync } from 'node:child_process';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, BIN, copyFixture, run, Store, tempDir } from './helpers.js';

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

// cargo passes `--diagnostic-width=<columns>` to rustc when its stderr is a
// terminal, and nothing when it is a pipe or a file. A build in a terminal
// and one piped to a log (or run by CI, or an editor) must share entries,
// whatever the window's width. util-linux `script` gives cargo a terminal.
const skip = spawnSync('script', ['--version']).status === 0 ? false : 'util-linux script(1) is not installed';

t.test('a build in a terminal and a piped one share entries, whatever the width', { skip }, async (t) => {
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
  const piped = await store.calls('piped');
  t.same(piped.map((e) => e.outcome), cold.map(() => 'hit'), 'hits every crate the terminal build stored');

  assertOk(t, await store.cargo(ws, ['clean']), 'cargo clean');
  assertOk(t, await inTerminal(200, 'tty-200'), 'a build in a 200-column terminal');
  t.same((await store.calls('tty-200')).map((e) => e.outcome), cold.map(() => 'hit'), 'hits them all too');
});
