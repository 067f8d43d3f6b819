import t from 'tap';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, run, Store, tempDir } from './helpers.js';

// The options that only steer the linker are out of the key, so a build with another linker keeps
// its hits. rustc still checks some of their values for every crate: `-C strip=bogus`, a flavor of
// another target, an unstable value without -Z unstable-options. Such a call fails plainly; through
// splitcache a lib hit the result stored without the option and exited 0 (a review's repro). Now
// the daemon asks that rustc once whether it takes them (daemon/src/linkerOptions.ts). Under cargo
// this can't happen: RUSTFLAGS reach cargo's own probe of rustc first, which fails plainly and
// through splitcache alike, and `cargo rustc -- <flags>` changes the crate's -C metadata, so its key.

const ARGS = ['--crate-name', 'lo', '--crate-type', 'lib', '--edition=2021', '--emit=dep-info,metadata,link', '--out-dir', 'out', 'lib.rs'];

t.test('a lib call with linker options rustc refuses fails as plainly; with ones it takes, it hits', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const dir = tempDir('linker-options');
  writeFileSync(join(dir, 'lib.rs'), 'pub fn f() -> u32 { 7 }\n');
  const call = async (extra: string[], s?: Store) => {
    rmSync(join(dir, 'out'), { recursive: true, force: true });
    mkdirSync(join(dir, 'out'));
    const argv = [...ARGS.slice(0, -1), ...extra, 'lib.rs'];
    return s ? run(BIN, ['rustc', ...argv], { cwd: dir, env: s.env() }) : run('rustc', argv, { cwd: dir });
  };
  t.equal((await call([], store)).code, 0, 'stored without them');
  const refused = [['-C', 'strip=bogus'], ['-Clinker-flavor=msvc'], ['--codegen', 'linker-features=+lld'], ['-C', 'link_self_contained=+linker'], ['-C', 'strip=symbols', '-C', 'linker-flavor=nonsense']];
  for (const extra of refused) {
    const plain = await call(extra);
    t.equal(plain.code, 1, `${extra.join(' ')}: plain rustc refuses it (else this shows nothing)`);
    const r = await call(extra, store);
    t.equal(r.code, 1, `${extra.join(' ')}: so does the call through splitcache (before: a hit, exit 0)`);
    t.equal(r.stderr, plain.stderr, 'in its own words');
  }
  for (const extra of [['-C', 'strip=symbols'], ['-C', 'linker-flavor=gcc', '-C', 'link-self-contained=no'], ['-C', 'linker=/no/such/cc', '-C', 'link-arg=-Wl,--bogus']]) {
    t.equal((await call(extra, store)).code, 0, `${extra.join(' ')}: taken, as plain rustc takes it`);
  }
  const events = (await store.audit()).map((e) => (e.outcome === 'passthrough' ? e.reason : e.outcome));
  t.same(events, ['miss', ...refused.map(() => 'linker-option-refused'), 'hit', 'hit', 'hit'], 'the refused run plainly; the taken hit the entry stored without them');
});

// Asked without the crate's name and the call's sysroot, rustc refused what the call itself takes:
// -Z under RUSTC_BOOTSTRAP=<this crate>, and a target whose spec is in the call's --sysroot. Such
// calls ran plainly (linker-option-refused), uncached, build after build.
t.test('linker options asked as the call has them: its crate (RUSTC_BOOTSTRAP=<crate>) and its --sysroot', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const dir = tempDir('linker-options-whose');
  writeFileSync(join(dir, 'lib.rs'), 'pub fn f() -> u32 { 7 }\n');
  writeFileSync(join(dir, 'nc.rs'), '#![feature(no_core)]\n#![no_core]\n');
  const spec = await run('rustc', ['-Z', 'unstable-options', '--print', 'target-spec-json', '--target', 'x86_64-unknown-linux-gnu'], { env: { ...process.env, RUSTC_BOOTSTRAP: '1' } });
  mkdirSync(join(dir, 'sr', 'lib', 'rustlib', 'spec-only'), { recursive: true });
  writeFileSync(join(dir, 'sr', 'lib', 'rustlib', 'spec-only', 'target.json'), spec.stdout);
  const calls: [string, string[], string][] = [
    ['RUSTC_BOOTSTRAP=lo, -Z unstable-options -C link-self-contained=+linker', [...ARGS.slice(0, -1), '-Zunstable-options', '-Clink-self-contained=+linker', 'lib.rs'], 'lo'],
    ["a target only the call's --sysroot has, -C linker-flavor=gcc", ['--crate-name', 'nc', '--crate-type', 'lib', '--emit=dep-info,metadata,link', '--out-dir', 'out', '--sysroot', 'sr', '--target', 'spec-only', '-Zunstable-options', '-Clinker-flavor=gcc', 'nc.rs'], '1'],
  ];
  for (const [what, argv, bootstrap] of calls) {
    rmSync(join(dir, 'out'), { recursive: true, force: true });
    mkdirSync(join(dir, 'out'));
    t.equal((await run('rustc', argv, { cwd: dir, env: { ...process.env, RUSTC_BOOTSTRAP: bootstrap } })).code, 0, `${what}: plain rustc takes it`);
    for (const _ of [1, 2]) t.equal((await run(BIN, ['rustc', ...argv], { cwd: dir, env: store.env({ RUSTC_BOOTSTRAP: bootstrap }) })).code, 0, 'and through splitcache');
  }
  const events = (await store.audit()).map((e) => (e.outcome === 'passthrough' ? e.reason : e.outcome));
  t.same(events, ['miss', 'hit', 'miss', 'hit'], 'each stored, then a hit (before: linker-option-refused)');
});
