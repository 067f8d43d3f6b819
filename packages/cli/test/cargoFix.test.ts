import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, fileTree, run, Store } from './helpers.js';

// `cargo fix` runs the workspace's own crates through cargo itself, which calls
// RUSTC_WORKSPACE_WRAPPER and never RUSTC_WRAPPER (docs/ARCHITECTURE.md). Through the
// workspace wrapper they are cached, and a hit replays the suggestions the fix applies: a warm
// store fixes the source as plain `cargo fix` does.

const BEFORE = 'pub fn one() -> u32 {\n    let mut x = 1;\n    x\n}\n';
const pkg = () =>
  fileTree({
    'Cargo.toml': '[package]\nname = "fixme"\nversion = "0.1.0"\nedition = "2021"\n',
    'src/lib.rs': BEFORE,
    'src/main.rs': 'fn main() {\n    let mut y = fixme::one();\n    println!("{y}");\n}\n',
  }, 'fixme');
const sources = (dir: string) => ['src/lib.rs', 'src/main.rs'].map((f) => readFileSync(join(dir, f), 'utf8'));

t.test('cargo fix through RUSTC_WORKSPACE_WRAPPER is cached, and a warm store fixes the source as plain cargo fix does', async (t) => {
  const plain = pkg();
  const r = await run('cargo', ['fix', '--allow-no-vcs'], { cwd: plain, env: { ...process.env, CARGO_INCREMENTAL: '0' } });
  assertOk(t, r, 'plain cargo fix succeeds');
  const fixed = sources(plain);
  t.not(fixed[0], BEFORE, 'and changes the source (the lint is machine-applicable)');

  const store = new Store();
  t.teardown(() => store.stop());
  const env = { RUSTC_WRAPPER: undefined, RUSTC_WORKSPACE_WRAPPER: store.env().RUSTC_WRAPPER };
  const cold = pkg();
  assertOk(t, await store.cargo(cold, ['fix', '--allow-no-vcs'], { ...env, SPLITCACHE_SESSION: 'cold' }), 'the cold fix succeeds');
  t.same(sources(cold), fixed, 'and fixes as plain cargo fix does');
  t.ok((await store.calls('cold')).some((e) => e.crate === 'fixme' && e.outcome === 'miss'), "the workspace's crates reached splitcache");

  const warm = pkg();
  assertOk(t, await store.cargo(warm, ['fix', '--allow-no-vcs'], { ...env, SPLITCACHE_SESSION: 'warm' }), 'the warm fix succeeds');
  const calls = await store.calls('warm');
  t.ok(calls.length > 0 && calls.every((e) => e.outcome === 'hit'), `every call hits (${calls.map((e) => `${e.crate}:${e.outcome}`).join(' ')})`);
  t.same(sources(warm), fixed, 'and the replayed suggestions fix the source as plain cargo fix does');
});
