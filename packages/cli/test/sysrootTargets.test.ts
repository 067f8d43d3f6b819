import t from 'tap';
import { copyFileSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { assertOk, copyFixture, realRustc, run, Store, tempDir } from './helpers.js';

// `rustup target add wasm32-unknown-unknown` puts another target's libraries in
// the sysroot, beside the host's. A host build compiles against the host's
// libraries only, so it must keep its entries; and two machines that differ
// only in the targets they have installed (a developer with wasm, CI without)
// must share them.

/**
 * A toolchain of its own at `<dir>/bin/rustc`, as rustup lays one out: a copy of
 * the real rustc binary, its shared libraries and the host's target dir linked
 * from the real one, so a target can be added to it without touching the real one.
 */
async function ownToolchain(dir: string): Promise<string> {
  const real = await realRustc();
  const realLib = join(dirname(dirname(real)), 'lib');
  mkdirSync(join(dir, 'bin'), { recursive: true });
  mkdirSync(join(dir, 'lib', 'rustlib'), { recursive: true });
  copyFileSync(real, join(dir, 'bin', 'rustc'));
  for (const name of readdirSync(realLib)) if (name !== 'rustlib') symlinkSync(join(realLib, name), join(dir, 'lib', name));
  symlinkSync(join(realLib, 'rustlib', 'x86_64-unknown-linux-gnu'), join(dir, 'lib', 'rustlib', 'x86_64-unknown-linux-gnu'));
  return join(dir, 'bin', 'rustc');
}

t.test('a target added to the toolchain keeps the host build\'s entries', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const toolchain = tempDir('toolchain');
  const rustc = await ownToolchain(toolchain);
  const ws = copyFixture();
  const build = async (session: string) => {
    assertOk(t, await run('cargo', ['clean'], { cwd: ws }), 'cargo clean');
    assertOk(t, await store.cargo(ws, ['build'], { RUSTC: rustc, SPLITCACHE_SESSION: session }), `cargo build (${session})`);
    return (await store.calls(session)).map((e) => e.outcome);
  };
  const app = join(ws, 'target', 'debug', 'fx-app');
  const cold = await build('cold');
  t.ok(cold.length >= 5 && cold.every((o) => o === 'miss'), `the first build compiles every crate (${cold.length})`);
  const printed = await run(app, []);

  // What `rustup target add wasm32-unknown-unknown` adds: that target's libraries.
  const wasm = join(toolchain, 'lib', 'rustlib', 'wasm32-unknown-unknown', 'lib');
  mkdirSync(wasm, { recursive: true });
  for (const name of ['libcore-0123456789abcdef.rlib', 'libstd-0123456789abcdef.rlib']) writeFileSync(join(wasm, name), `wasm32 ${name}`);
  assertOk(t, await store.splitcache(['server', 'stop']), 'a new daemon, which finds the sysroot changed and probes rustc again');
  t.same(await build('target-added'), cold.map(() => 'hit'), 'every host crate hits (before: every one missed)');
  t.same(await run(app, []), printed, 'and the binary prints what it did');
});
