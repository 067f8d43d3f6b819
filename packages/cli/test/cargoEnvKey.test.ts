import t from 'tap';
import { spawnSync } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, printingCrate, printingCrateArgs, realRustc, run, Store, tempDir } from './helpers.js';

// Cargo sets CARGO to its own path for every crate, and a proc-macro may run that cargo, so the key
// holds it. What it holds is which cargo, not where (daemon/src/cargoEnvValue.ts): a runner whose
// RUSTC named another copy of the toolchain had rustup's cargo outside that sysroot, keyed by its
// absolute path, and missed every crate against a runner laid out as rustup lays it out.

t.test("CARGO is keyed by which cargo it names: the sysroot's own copied elsewhere hits, another cargo misses", async (t) => {
  const rustc = await realRustc();
  const sysroot = (await run(rustc, ['--print', 'sysroot'])).stdout.trim();
  const own = join(sysroot, 'bin', 'cargo');
  const copy = join(tempDir('cargo-copy'), 'cargo');
  copyFileSync(own, copy);
  const other = join(tempDir('cargo-other'), 'cargo');
  writeFileSync(other, '#!/bin/sh\necho "not that cargo"\n', { mode: 0o755 });
  const store = new Store();
  t.teardown(() => store.stop());
  const build = async (cargo: string) => {
    const cwd = printingCrate('which cargo');
    const r = await run(BIN, [rustc, ...printingCrateArgs(cwd)], { cwd, env: store.env({ CARGO: cargo }) });
    t.equal(r.code, 0, r.stderr);
    return (await store.calls()).at(-1)!.outcome;
  };
  t.equal(await build(own), 'miss', "the sysroot's own cargo: stored");
  t.equal(await build(copy), 'hit', 'the same cargo at another path hits (it missed: keyed by its path)');
  t.equal(await build(other), 'miss', 'another cargo misses: a proc-macro running it would get another answer');
  t.equal(await build(join(tempDir('cargo-other'), 'cargo')), 'miss', 'as does a path where no cargo is (keyed by its path)');
  // Not a regular file: keyed by its path, never read (a FIFO there blocked the daemon until the call gave up on it).
  const fifo = join(tempDir('cargo-fifo'), 'cargo');
  t.equal(spawnSync('mkfifo', [fifo]).status, 0, 'a FIFO is made');
  const cwd = printingCrate('which cargo');
  const viaFifo = await run(BIN, [rustc, ...printingCrateArgs(cwd)], { cwd, env: store.env({ CARGO: fifo }) });
  t.same([viaFifo.code, viaFifo.stderr], [0, ''], 'CARGO naming a FIFO: the call builds, and nothing is said');
  t.equal((await store.calls()).at(-1)!.outcome, 'miss', 'a miss, looked up');
  const why = await store.splitcache(['explain', 'trial']);
  t.match(why.stdout, /env:CARGO/, `explain names the variable (${why.stdout.trim()})`);
});
