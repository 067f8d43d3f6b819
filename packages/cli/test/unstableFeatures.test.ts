import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, oneFileCrate, printingCrateArgs, run, Store } from './helpers.js';

// The split halves run with RUSTC_BOOTSTRAP=1, which would also let a crate use
// #![feature] on stable. A plain stable build refuses it (E0554), so the
// cached build must refuse it too, not compile a crate that fails without
// splitcache. Where a plain call may use features (RUSTC_BOOTSTRAP naming the
// crate, a nightly), the cached build does as well.
const sysrootOf = (toolchain?: string) =>
  spawnSync('rustc', [...(toolchain ? [`+${toolchain}`] : []), '--print', 'sysroot'], { encoding: 'utf8' }).stdout.trim();
const stable = sysrootOf() + '/bin/rustc';
const nightlySysroot = sysrootOf('nightly');
const nightly = nightlySysroot ? nightlySysroot + '/bin/rustc' : '';

const featureCrate = () => oneFileCrate('#![feature(never_type)]\nfn main() { let nothing: Option<!> = None; println!("{}", nothing.is_none()); }\n', 'feature');

t.test('on stable a crate with #![feature] fails through the cache as it fails without it, word for word', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const crate = featureCrate();
  const bin = join(crate, 'out', 'trial-t');
  const plain = await run(stable, printingCrateArgs(crate), { cwd: crate, env: { ...process.env, RUSTC_BOOTSTRAP: '' } });
  t.equal(plain.code, 1, 'a plain stable call fails');
  t.match(plain.stderr, /E0554/, 'with E0554');

  for (const attempt of ['first', 'second']) {
    const r = await run(BIN, [stable, ...printingCrateArgs(crate)], { cwd: crate, env: store.env() });
    t.equal(r.code, 1, `the ${attempt} cached call fails with the same exit code`);
    t.equal(r.stderr, plain.stderr, 'and the same words (E0554), not the fenced half\'s E0725');
    t.notOk(existsSync(bin), 'and links nothing');
  }
  const stats = await store.stats();
  t.equal(stats.passthrough['unstable-features'], 2, 'both ran plainly, counted as such');
  t.equal(stats.misses + stats.hits, 0, 'nothing was compiled to store');
});

t.test('on stable a #[bench] file (#![feature(test)]) as `cargo test --all-targets` compiles it: one error, as without splitcache', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const crate = oneFileCrate('#![feature(test)]\nextern crate test;\n#[bench]\nfn b(b: &mut test::Bencher) { b.iter(|| 1 + 1); }\n', 'bench');
  const args = [...printingCrateArgs(crate), '--test'];
  const plain = await run(stable, args, { cwd: crate, env: { ...process.env, RUSTC_BOOTSTRAP: '' } });
  t.match(plain.stderr, /due to 1 previous error/, 'a plain call: one error');
  const cached = await run(BIN, [stable, ...args], { cwd: crate, env: store.env() });
  t.equal(cached.code, plain.code, 'the cached call fails with the same exit code');
  t.equal(cached.stderr, plain.stderr, 'and the same words (before: E0725 and an E0658 for each use of `test`)');
});

t.test('a #![cfg_attr(…, feature(…))] whose cfg is off is cached on stable', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const crate = oneFileCrate('#![cfg_attr(nightly_only, feature(never_type))]\nfn main() { println!("ok"); }\n', 'cfgattr');
  for (const attempt of ['first', 'second']) {
    rmSync(join(crate, 'out', 'trial-t'), { force: true });
    t.equal((await run(BIN, [stable, ...printingCrateArgs(crate)], { cwd: crate, env: store.env() })).code, 0, `the ${attempt} call builds`);
  }
  t.equal(execFileSync(join(crate, 'out', 'trial-t'), { encoding: 'utf8' }), 'ok\n', 'its binary runs');
  t.equal((await store.stats()).hits, 1, 'the second from the cache');
});

t.test('where a plain call may use it, the cached call does too', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const crate = featureCrate();
  const bin = join(crate, 'out', 'trial-t');
  // RUSTC_BOOTSTRAP naming the crate: rustc allows features for that crate only.
  const named = await run(BIN, [stable, ...printingCrateArgs(crate)], { cwd: crate, env: store.env({ RUSTC_BOOTSTRAP: 'other,trial' }) });
  t.equal(named.code, 0, 'RUSTC_BOOTSTRAP=other,trial: the cached call builds, as a plain one does');
  t.equal(execFileSync(bin, { encoding: 'utf8' }), 'true\n', 'and its binary runs');
  rmSync(bin);
  const other = await run(BIN, [stable, ...printingCrateArgs(crate)], { cwd: crate, env: store.env({ RUSTC_BOOTSTRAP: 'other' }) });
  t.equal(other.code, 1, 'RUSTC_BOOTSTRAP=other: it fails, as a plain one does');
});

t.test('a nightly rustc may use features, unless RUSTC_BOOTSTRAP=-1', { skip: nightly ? false : 'no nightly toolchain' }, async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const crate = featureCrate();
  const bin = join(crate, 'out', 'trial-t');
  const onNightly = await run(BIN, [nightly, ...printingCrateArgs(crate)], { cwd: crate, env: store.env() });
  t.equal(onNightly.code, 0, 'a nightly rustc builds it');
  t.equal(execFileSync(bin, { encoding: 'utf8' }), 'true\n', 'and its binary runs');
  rmSync(bin);
  const refused = await run(BIN, [nightly, ...printingCrateArgs(crate)], { cwd: crate, env: store.env({ RUSTC_BOOTSTRAP: '-1' }) });
  t.equal(refused.code, 1, 'a nightly with RUSTC_BOOTSTRAP=-1 refuses it, as a plain one does');
});

// The same for -Z flags on the command line (`cargo rustc -- -Z…`): a plain stable call refuses
// them, and the split's halves (RUSTC_BOOTSTRAP=1) would take them.
const zFlag = (crate: string) => [...printingCrateArgs(crate), '-Zshare-generics=y'];

t.test('on stable a crate that links, given a -Z flag, fails through the cache as it fails without it', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const crate = oneFileCrate('fn main() { println!("z"); }\n', 'zflag');
  const bin = join(crate, 'out', 'trial-t');
  const plain = await run(stable, zFlag(crate), { cwd: crate, env: { ...process.env, RUSTC_BOOTSTRAP: '' } });
  t.equal(plain.code, 1, 'a plain stable call fails');
  t.match(plain.stderr, /only accepted on the nightly compiler/, 'saying -Z needs a nightly');
  const cached = await run(BIN, [stable, ...zFlag(crate)], { cwd: crate, env: store.env() });
  t.equal(cached.code, plain.code, 'the cached call fails with the same exit code');
  t.equal(cached.stderr, plain.stderr, 'and the same words');
  t.notOk(existsSync(bin), 'and links nothing');
  const stats = await store.stats();
  t.equal(stats.passthrough['unstable-flag'], 1, 'it ran plainly, counted as such');
  t.equal(stats.misses, 0, 'nothing was compiled to store');
  // Where a plain call takes it (RUSTC_BOOTSTRAP=1), the cached one does, and caches it.
  const env = store.env({ RUSTC_BOOTSTRAP: '1' });
  t.equal((await run(BIN, [stable, ...zFlag(crate)], { cwd: crate, env })).code, 0, 'RUSTC_BOOTSTRAP=1: it builds');
  rmSync(bin);
  t.equal((await run(BIN, [stable, ...zFlag(crate)], { cwd: crate, env })).code, 0, 'and again');
  t.equal(execFileSync(bin, { encoding: 'utf8' }), 'z\n', 'and its binary runs');
  t.equal((await store.stats()).hits, 1, 'the second time from the cache');
});

// Options a stable rustc takes only with -Z unstable-options, which the split's halves pass for their
// mangling pin: `cargo rustc -- --env-set FOO=x` built under splitcache and failed without it.
const GATED: [string, string[]][] = [
  ['--env-set', ['--env-set', 'FOO=fromflag']],
  ['-C linker-features', ['-C', 'linker-features=+lld']],
  ['-C link-self-contained', ['-C', 'link-self-contained=+linker']],
  ['--error-format=human-unicode', ['--error-format=human-unicode']],
  // And these, which an options audit found built under splitcache (exit 0) and failed without it.
  ['-C panic=immediate-abort', ['-C', 'panic=immediate-abort']],
  ['-C force-frame-pointers=non-leaf', ['-C', 'force-frame-pointers=non-leaf']],
  ['-l link-arg', ['-l', 'link-arg=-v']],
  ['--remap-path-scope=documentation', ['--remap-path-scope=documentation']],
];

t.test('on stable a crate that links, given an option gated behind -Z unstable-options, fails through the cache as without it', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const crate = oneFileCrate('fn main() { println!("{}", option_env!("FOO").unwrap_or("unset")); }\n', 'gated');
  for (const [name, extra] of GATED) {
    const args = [...printingCrateArgs(crate), ...extra];
    const plain = await run(stable, args, { cwd: crate, env: { ...process.env, RUSTC_BOOTSTRAP: '' } });
    t.equal(plain.code, 1, `${name}: a plain stable call fails`);
    const cached = await run(BIN, [stable, ...args], { cwd: crate, env: store.env() });
    t.equal(cached.code, plain.code, `${name}: the cached call fails with the same exit code`);
    t.equal(cached.stderr, plain.stderr, `${name}: and the same words`);
    t.notOk(existsSync(join(crate, 'out', 'trial-t')), `${name}: and links nothing`);
  }
  t.equal((await store.stats()).passthrough['unstable-option'], GATED.length, 'each ran plainly, counted as such');
});

t.test('a nightly --env-set value: the crate that reads it hits the second time, and gets it', { skip: nightly ? false : 'no nightly toolchain' }, async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const crate = oneFileCrate('fn main() { println!("{}", env!("FOO")); }\n', 'envset');
  const bin = join(crate, 'out', 'trial-t');
  const call = (value: string) => run(BIN, [nightly, ...printingCrateArgs(crate), '-Zunstable-options', '--env-set', `FOO=${value}`], { cwd: crate, env: store.env() });
  t.equal((await call('one')).code, 0, 'the first call builds');
  rmSync(bin);
  t.equal((await call('one')).code, 0, 'the second call builds');
  t.equal(execFileSync(bin, { encoding: 'utf8' }), 'one\n', 'with the value given');
  t.same((await store.calls()).map((c) => c.outcome), ['miss', 'hit'], 'from the cache the second time (it missed every time, its env-dep compared with the unset variable)');
  rmSync(bin);
  t.equal((await call('two')).code, 0, 'another value builds');
  t.equal(execFileSync(bin, { encoding: 'utf8' }), 'two\n', 'and gets it');
});
