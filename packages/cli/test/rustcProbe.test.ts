import t from 'tap';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, printingCrate, realRustc, run, Store, tempDir } from './helpers.js';

// SPLITCACHE_RUSTC_IDENTITY end to end: a rustc (cargo's RUSTC) that compiles but fails the
// probe splitcache runs for its key (`--print sysroot --print cfg`, with rustc's own complaint
// on stderr). The build goes on uncached with a plain build's binary, one line says what
// failed, and the store's entries made with the real rustc still hit.

t.test('a rustc that fails the identity probe: one line with its reason, the build goes on uncached', async (t) => {
  const real = await realRustc();
  const fake = join(tempDir('fake-rustc'), 'rustc');
  writeFileSync(fake, `#!/bin/bash\nif [ "$*" = "--print sysroot --print cfg" ]; then echo "rustc: cannot read the sysroot: Permission denied" >&2; exit 1; fi\nexec "${real}" "$@"\n`);
  chmodSync(fake, 0o755);
  const pkg = printingCrate('probe');
  writeFileSync(join(pkg, 'Cargo.toml'), '[package]\nname = "probe"\nversion = "0.1.0"\nedition = "2021"\n');
  const bin = join(pkg, 'target', 'debug', 'probe');
  const plainEnv = { ...process.env, CARGO_INCREMENTAL: '0', RUSTC_WRAPPER: '', RUSTC: fake };
  assertOk(t, await run('cargo', ['build'], { cwd: pkg, env: plainEnv }), 'the plain build succeeds');
  const plainBin = readFileSync(bin);

  const store = new Store();
  await run('cargo', ['clean'], { cwd: pkg, env: plainEnv });
  assertOk(t, await store.cargo(pkg, ['build']), 'a build with the real rustc succeeds');
  await run('cargo', ['clean'], { cwd: pkg, env: plainEnv });
  const r = await store.cargo(pkg, ['build'], { RUSTC: fake });
  assertOk(t, r, 'the build with the failing rustc succeeds');
  const lines = r.stderr.split('\n').filter((l) => /SPLITCACHE_|ERROR/.test(l));
  t.equal(lines.length, 1, `one line (${JSON.stringify(lines)})`);
  t.match(
    lines[0] ?? '',
    /^splitcache: SPLITCACHE_RUSTC_IDENTITY: cannot identify rustc at \S+: `\S+ --print sysroot --print cfg` exited 1 \(rustc: cannot read the sysroot: Permission denied\) \(building uncached\)$/,
    'it names the code, the command that failed, and what rustc said',
  );
  t.ok(readFileSync(bin).equals(plainBin), "the binary is a plain build's");

  await run('cargo', ['clean'], { cwd: pkg, env: plainEnv });
  const warm = await store.cargo(pkg, ['build']);
  assertOk(t, warm, 'the next build with the real rustc succeeds');
  t.notMatch(warm.stderr, /SPLITCACHE_/, 'with no fault line');
  const calls = await store.calls();
  t.equal(calls.at(-1)?.outcome, 'hit', "and hits the real rustc's entry");
  t.equal((await store.splitcache(['audit', 'verify'])).code, 0, 'audit verify succeeds');
});
