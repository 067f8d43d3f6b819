import t from 'tap';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, fileTree, oneFileCrate, printingCrate, printingCrateArgs, realRustc, run, Store } from './helpers.js';

// -Z options with which rustc reports on its own run rather than build outputs:
// cargo-expand's `cargo rustc --profile=check -- -Zunpretty=expanded` (under
// RUSTC_BOOTSTRAP=1, on stable), -Zdump-mir, -Zself-profile, -Ztime-passes. They
// pass through: rustc runs, as without splitcache.

t.test('cargo-expand\'s call prints the expansion, with no line from splitcache', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = fileTree({
    'Cargo.toml': '[package]\nname = "expanded"\nversion = "0.1.0"\nedition = "2021"\n',
    'src/main.rs': '#[derive(Debug)]\nstruct Point { x: u8 }\nfn main() { println!("{:?}", Point { x: 1 }); }\n',
  });
  const args = ['rustc', '--quiet', '--profile=check', '--', '-Zunpretty=expanded'];
  const plain = await run('cargo', args, { cwd: ws, env: { ...process.env, RUSTC_BOOTSTRAP: '1', CARGO_TARGET_DIR: join(ws, 'plain') } });
  t.equal(plain.code, 0, 'plain cargo expands');
  t.match(plain.stdout, /impl ::core::fmt::Debug for Point/, 'the derive expanded');
  for (const round of ['first', 'second']) {
    rmSync(join(ws, 'target'), { recursive: true, force: true });
    const r = await store.cargo(ws, args, { RUSTC_BOOTSTRAP: '1' });
    t.equal(r.code, 0, `the ${round} call through the cache expands`);
    t.equal(r.stdout, plain.stdout, 'printing what plain cargo prints');
    t.notMatch(r.stderr, /splitcache/, 'and nothing from splitcache (old code: SPLITCACHE_INGEST, cannot store outputs)');
  }
  t.equal((await store.stats()).passthrough['unstable-report:unpretty'], 2, 'both passed through, reason counted');
});

t.test('-Zdump-mir writes mir_dump/ on every call', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const rustc = await realRustc();
  const crate = printingCrate('dumped');
  const dump = join(crate, 'mir_dump');
  for (const round of ['first', 'second']) {
    rmSync(dump, { recursive: true, force: true });
    const r = await run(BIN, [rustc, ...printingCrateArgs(crate), '-Zdump-mir=main'], { cwd: crate, env: store.env({ RUSTC_BOOTSTRAP: '1' }) });
    t.equal(r.code, 0, `the ${round} call builds`);
    t.ok(existsSync(dump) && readdirSync(dump).some((f) => f.includes('main')), `and writes main's MIR to mir_dump/ (old code: the second call hit and wrote none)`);
  }
  const events = await store.audit();
  t.same(events.map((e) => e.outcome), ['passthrough', 'passthrough'], 'both passed through');
});

t.test('-Zdump-mono-stats and -Zremark-dir write their files on every call', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const rustc = await realRustc();
  const crate = printingCrate('stats');
  const stats = join(crate, 'stats.mono_items.md');
  const remarks = join(crate, 'remarks');
  for (const round of ['first', 'second']) {
    rmSync(stats, { force: true });
    rmSync(remarks, { recursive: true, force: true });
    const args = [rustc, ...printingCrateArgs(crate, 'stats'), '-Zdump-mono-stats', '-Cremark=all', `-Zremark-dir=${remarks}`];
    const r = await run(BIN, args, { cwd: crate, env: store.env({ RUSTC_BOOTSTRAP: '1' }) });
    t.equal(r.code, 0, `the ${round} call builds`);
    t.ok(existsSync(stats), `and writes stats.mono_items.md (old code: the second call hit and wrote none)`);
    t.ok(existsSync(remarks) && readdirSync(remarks).length > 0, 'and the remarks');
  }
  t.equal((await store.stats()).passthrough['unstable-report:dump-mono-stats'], 2, 'both passed through, reason counted');
});

t.test('-Zprofile-closures writes its closure_profile_<pid>.csv on every call', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const rustc = await realRustc();
  const crate = oneFileCrate('fn main() { let k = 3; println!("{}", [1u8, 2].iter().map(|x| x + k).sum::<u8>()); }\n');
  const profiles = () => readdirSync(crate).filter((f) => /^closure_profile_\d+\.csv$/.test(f));
  for (const round of ['first', 'second']) {
    for (const f of profiles()) rmSync(join(crate, f));
    const r = await run(BIN, [rustc, ...printingCrateArgs(crate), '-Zprofile-closures'], { cwd: crate, env: store.env({ RUSTC_BOOTSTRAP: '1' }) });
    t.equal(r.code, 0, `the ${round} call builds`);
    t.equal(profiles().length, 1, 'and writes its closure profile, as plain rustc does (old code: the second call hit and wrote none)');
  }
  t.equal((await store.stats()).passthrough['unstable-report:profile-closures'], 2, 'both passed through, reason counted');
});
