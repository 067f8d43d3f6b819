import t from 'tap';
import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BIN, realRustc, run, Store, tempDir } from './helpers.js';

// A sysroot given with --sysroot (cargo-careful's std built with debug
// assertions, an xargo sysroot, one assembled by hand) is where rustc takes std
// and any crate named by `extern crate` without --extern. dep-info names none
// of its files, so a crate rebuilt there must change the key: with only the
// flag's path keyed, the call hit and linked a binary built against the old one.

t.test('a crate rebuilt in a --sysroot misses', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const rustc = await realRustc();
  const dir = tempDir('custom-sysroot');
  const triple = 'x86_64-unknown-linux-gnu';
  const libs = join(dir, 'sys', 'lib', 'rustlib', triple, 'lib');
  mkdirSync(libs, { recursive: true });
  const host = join(dirname(dirname(rustc)), 'lib', 'rustlib', triple, 'lib');
  for (const name of readdirSync(host)) symlinkSync(join(host, name), join(libs, name));
  // `extra` lives in the sysroot under one file name (same size too) whatever its value.
  const buildExtra = async (value: number) => {
    writeFileSync(join(dir, 'extra.rs'), `pub const V: u32 = ${value};\n`);
    const r = await run(rustc, ['--crate-name', 'extra', '--crate-type', 'rlib', '-C', 'metadata=fixed', '-C', 'extra-filename=-fixed', '--out-dir', libs, 'extra.rs'], { cwd: dir });
    t.equal(r.code, 0, `extra (V = ${value}) builds into the sysroot`);
  };
  writeFileSync(join(dir, 'main.rs'), 'extern crate extra;\nfn main() { println!("{}", extra::V); }\n');
  const build = async (out: string) => {
    mkdirSync(join(dir, out));
    const args = ['--crate-name', 'm', '--crate-type', 'bin', '--emit=dep-info,link', '--sysroot', join(dir, 'sys'), '--out-dir', join(dir, out), 'main.rs'];
    const r = await run(BIN, [rustc, ...args], { cwd: dir, env: store.env({ SPLITCACHE_SESSION: out }) });
    t.equal(r.code, 0, `${out} builds through the cache`);
    const printed = (await run(join(dir, out, 'm'), [])).stdout.trim();
    return { printed, outcomes: (await store.calls(out)).map((e) => e.outcome) };
  };
  await buildExtra(1);
  t.same(await build('first'), { printed: '1', outcomes: ['miss'] }, 'the first build prints 1');
  await buildExtra(2);
  t.same(await build('rebuilt'), { printed: '2', outcomes: ['miss'] }, 'after extra is rebuilt in the sysroot it misses and prints 2 (old code: a hit printing 1)');
  t.same(await build('again'), { printed: '2', outcomes: ['hit'] }, 'an unchanged sysroot hits');
});
