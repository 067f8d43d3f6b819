import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, copyFixture, run, Store, tempDir } from './helpers.js';

// `--remap-path-scope` (stable rustc) says which outputs `--remap-path-prefix`
// rewrites; cargo passes it for a profile's `trim-paths`. It was an unknown flag
// to splitcache, so every call of such a build passed through uncached.

t.test('a build with --remap-path-scope is cached, byte-identical to plain cargo', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = copyFixture();
  const rustflags = `--remap-path-scope=object --remap-path-prefix=${ws}=.`;
  const plainDir = tempDir('plain-target');
  const plain = await run('cargo', ['build'], { cwd: ws, env: { ...process.env, CARGO_INCREMENTAL: '0', RUSTFLAGS: rustflags, CARGO_TARGET_DIR: plainDir } });
  assertOk(t, plain, 'plain cargo builds');

  assertOk(t, await store.cargo(ws, ['build'], { RUSTFLAGS: rustflags, SPLITCACHE_SESSION: 'cold' }), 'a cold build through the cache');
  const cold = (await store.audit('cold')).map((e) => e.outcome);
  t.ok(cold.length >= 5 && cold.every((o) => o === 'miss'), `every crate is looked up and compiled (${cold.join(', ')}; old code: passthrough, unknown-flag:--remap-path-scope)`);
  await store.cargo(ws, ['clean']);
  assertOk(t, await store.cargo(ws, ['build'], { RUSTFLAGS: rustflags, SPLITCACHE_SESSION: 'warm' }), 'a warm build');
  t.same((await store.audit('warm')).map((e) => e.outcome), cold.map(() => 'hit'), 'every crate hits');
  const bin = (dir: string) => readFileSync(join(dir, 'debug', 'fx-app'));
  t.ok(bin(join(ws, 'target')).equals(bin(plainDir)), 'the binary is plain cargo\'s, byte for byte');
});
