import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, fileTree, run, Store } from './helpers.js';

// A crate that links is compiled with RUSTC_BOOTSTRAP=1 (its -Zno-link half's -Z flags), and
// rustc hands the crate its environment: option_env!("RUSTC_BOOTSTRAP") saw "1" where a plain
// build sees nothing. Such a compile is run again as given, and nothing is stored for it.

const pkg = (main: string) =>
  fileTree({ 'Cargo.toml': '[package]\nname = "boot"\nversion = "0.1.0"\nedition = "2021"\n', 'src/main.rs': main });

t.test('a binary that reads RUSTC_BOOTSTRAP gets what a plain build gets, through both clients', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = pkg('fn main() { println!("{:?}", option_env!("RUSTC_BOOTSTRAP")); }\n');
  const plain = await run('cargo', ['build'], { cwd: ws, env: { ...process.env, CARGO_INCREMENTAL: '0', RUSTC_WRAPPER: '', CARGO_TARGET_DIR: join(ws, 'plain') } });
  assertOk(t, plain, 'a plain build');
  t.equal((await run(join(ws, 'plain/debug/boot'), [])).stdout, 'None\n', 'whose binary sees no RUSTC_BOOTSTRAP');
  for (const client of ['exec-port', 'node']) {
    await store.cargo(ws, ['clean']);
    const r = await store.cargo(ws, ['build', '--message-format=json'], { SPLITCACHE_SESSION: client, ...(client === 'node' ? { SPLITCACHE_CLIENT: 'node' } : {}) });
    assertOk(t, r, `through splitcache (${client})`);
    t.equal((await run(join(ws, 'target/debug/boot'), [])).stdout, 'None\n', 'the binary sees none either (before: Some("1"))');
    t.match(r.stdout, /"reason":"compiler-artifact".*"executable":"[^"]*\/boot"/, 'cargo names the binary it built');
  }
  t.same((await store.stats()).notStored, { 'reads-rustc-bootstrap': 2 }, 'nothing stored for it');

  // With RUSTC_BOOTSTRAP=1 in the build's own environment, the halves see what a plain call sees: stored, and a hit.
  await store.cargo(ws, ['clean']);
  assertOk(t, await store.cargo(ws, ['build'], { RUSTC_BOOTSTRAP: '1' }));
  await store.cargo(ws, ['clean']);
  assertOk(t, await store.cargo(ws, ['build'], { RUSTC_BOOTSTRAP: '1', SPLITCACHE_SESSION: 'set' }));
  t.same((await store.calls('set')).map((e) => e.outcome), ['hit'], 'set by the user: a hit');
  t.equal((await run(join(ws, 'target/debug/boot'), [])).stdout, 'Some("1")\n');
});

t.test('env!("RUSTC_BOOTSTRAP") fails as it does plainly', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = pkg('fn main() { println!("{}", env!("RUSTC_BOOTSTRAP")); }\n');
  const plain = await run('cargo', ['build'], { cwd: ws, env: { ...process.env, CARGO_INCREMENTAL: '0', RUSTC_WRAPPER: '', CARGO_TARGET_DIR: join(ws, 'plain') } });
  t.not(plain.code, 0, 'a plain build fails');
  const r = await store.cargo(ws, ['build']);
  t.not(r.code, 0, 'so does one through splitcache (before: it built, and printed 1)');
  t.match(r.stderr, /environment variable `RUSTC_BOOTSTRAP` not defined/, 'with rustc\'s error');
  writeFileSync(join(ws, 'src/main.rs'), 'fn main() {}\n');
  assertOk(t, await store.cargo(ws, ['build']), 'and a crate that doesn\'t read it builds');
});

t.test('RUSTC_BOOTSTRAP naming the crate: the binary is byte-identical to a plain build\'s (v0 mangling)', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = pkg('fn shout(s: &str) -> String { s.to_uppercase() }\nfn main() { println!("{}", shout("hi")); }\n');
  const env = { CARGO_INCREMENTAL: '0', RUSTC_BOOTSTRAP: 'boot' };
  assertOk(t, await run('cargo', ['build'], { cwd: ws, env: { ...process.env, ...env, RUSTC_WRAPPER: '', CARGO_TARGET_DIR: join(ws, 'plain') } }), 'a plain build');
  const plain = readFileSync(join(ws, 'plain/debug/boot'));
  t.notOk(plain.includes('_ZN4boot5shout'), 'whose own symbols are not legacy-mangled');
  for (const round of ['miss', 'hit']) {
    await store.cargo(ws, ['clean']);
    assertOk(t, await store.cargo(ws, ['build'], { ...env, SPLITCACHE_SESSION: round }), `through splitcache (${round})`);
    t.same((await store.calls(round)).map((e) => e.outcome), [round]);
    t.ok(readFileSync(join(ws, 'target/debug/boot')).equals(plain), 'byte-identical to the plain build (before: legacy pinned, so other symbols)');
  }
});
