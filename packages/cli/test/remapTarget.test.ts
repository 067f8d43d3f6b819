import t from 'tap';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, oneFileCrate, realRustc, run, Store } from './helpers.js';

// A user's `--remap-path-prefix=FROM=TO` whose TO names the checkout: rustc writes TO into file!(),
// panic locations and debuginfo (a wrong-hits sweep's, bench/sweep).
t.test('a --remap-path-prefix whose TO names the checkout: a second checkout\'s binary names its own', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const rustc = await realRustc();
  for (const round of ['first', 'second']) {
    const crate = oneFileCrate('fn main() { println!("{}", file!()); }\n');
    const args = ['--crate-name', 'mapped', '--edition=2021', 'src/main.rs', '--crate-type', 'bin', '--emit=dep-info,link', '--out-dir', join(crate, 'out'),
      `--remap-path-prefix=src=${crate}/mapped`];
    const r = await run(BIN, [rustc, ...args], { cwd: crate, env: store.env({ CARGO_MANIFEST_DIR: crate }) });
    t.equal(r.code, 0, `the ${round} checkout builds`);
    const ran = await run(join(crate, 'out/mapped'), [], { cwd: crate });
    t.equal(ran.stdout, `${crate}/mapped/main.rs\n`, `and its file!() names its own checkout, as plain rustc's (old code: the second hit and named the first)`);
  }
});

// `-Zremap-cwd-prefix=TO` remaps the working dir to TO: its TO reaches the outputs as a
// --remap-path-prefix's does (debuginfo's comp_dir). Beside a remap that makes all else the same,
// plain rustc's binaries differ between checkouts only by it.
t.test('a -Zremap-cwd-prefix whose TO names the checkout: a second checkout\'s binary is plain rustc\'s there', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const rustc = await realRustc();
  const crates: string[] = [];
  for (const round of ['first', 'second']) {
    const crate = oneFileCrate('fn main() { println!("{}", file!()); }\n');
    crates.push(crate);
    const args = ['--crate-name', 'mapped', '--edition=2021', 'src/main.rs', '--crate-type', 'bin', '--emit=dep-info,link', '-g', '--out-dir', join(crate, 'out'),
      `--remap-path-prefix=${crate}=/build`, '-Z', `remap-cwd-prefix=${crate}/mapped`];
    const env = { RUSTC_BOOTSTRAP: '1', CARGO_MANIFEST_DIR: crate };
    const plain = await run(rustc, args, { cwd: crate, env: { ...process.env, ...env } });
    t.equal(plain.code, 0, `plain rustc builds the ${round} checkout`);
    const plainBin = readFileSync(join(crate, 'out/mapped'));
    rmSync(join(crate, 'out/mapped'));
    const r = await run(BIN, [rustc, ...args], { cwd: crate, env: store.env(env) });
    t.equal(r.code, 0, `and splitcache does`);
    const bin = readFileSync(join(crate, 'out/mapped'));
    t.ok(bin.equals(plainBin), `its binary is plain rustc's, byte for byte (old code: the second hit, its debuginfo naming the first)`);
  }
  t.notOk(readFileSync(join(crates[1]!, 'out/mapped')).includes(Buffer.from(crates[0]!)), 'the second names nothing of the first');
});
