import t from 'tap';
import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, BIN, copyFixture, printingCrate, printingCrateArgs, realRustc, run, Store } from './helpers.js';

// cargo's dev profile compiles a workspace's own crates incrementally unless told not to, and
// such calls pass through uncached. With the wrapper set in ~/.cargo/config.toml, a plain
// `cargo build` said nothing of it, and the crates the user edits were never cached.
const HINT = /splitcache: cargo compiles this build's own crates incrementally \(its dev profile's default, or an incremental setting\), and such calls pass through uncached: CARGO_INCREMENTAL=0, or build.incremental = false in .cargo\/config.toml, caches them/g;

t.test('a build whose crates cargo compiles incrementally by default is told once a day; one that chose either way is not', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = copyFixture();
  const env = store.env();
  delete env.CARGO_INCREMENTAL;
  const first = await run('cargo', ['build'], { cwd: ws, env });
  assertOk(t, first, 'a build with CARGO_INCREMENTAL unset');
  t.equal(first.stderr.match(HINT)?.length, 1, 'is told once, though several of its calls passed through');
  await run('cargo', ['clean'], { cwd: ws });
  const second = await run('cargo', ['build'], { cwd: ws, env });
  assertOk(t, second, 'the next build');
  t.notMatch(second.stderr, HINT, 'is not told again the same day');
  const marker = join(store.dir, 'incremental-hint');
  t.ok(existsSync(marker), 'the day is kept in the store');
  const yesterday = (Date.now() - 25 * 3600_000) / 1000;
  utimesSync(marker, yesterday, yesterday);
  await run('cargo', ['clean'], { cwd: ws });
  t.match((await run('cargo', ['build'], { cwd: ws, env })).stderr, HINT, 'a day later, it is told again');
  // Not for a call that is not cargo's, whose incremental dir is the caller's own choice.
  const direct = printingCrate('not cargo');
  const other0 = new Store();
  t.teardown(() => other0.stop());
  const env0 = other0.env();
  delete env0.CARGO_INCREMENTAL;
  const plain = await run(BIN, [await realRustc(), ...printingCrateArgs(direct), '-C', `incremental=${join(direct, 'inc')}`], { cwd: direct, env: env0 });
  assertOk(t, plain, 'a rustc call with -C incremental, not from cargo');
  t.notMatch(plain.stderr, HINT, 'is told nothing');
  for (const [name, value] of [['CARGO_BUILD_INCREMENTAL', 'true'], ['CARGO_PROFILE_DEV_INCREMENTAL', 'true']] as const) {
    const chose = new Store();
    t.teardown(() => chose.stop());
    const envC = chose.env({ [name]: value });
    delete envC.CARGO_INCREMENTAL;
    const r = await run('cargo', ['build'], { cwd: copyFixture(), env: envC });
    assertOk(t, r, `${name}=${value}`);
    t.notMatch(r.stderr, HINT, `${name}=${value}, a choice: nothing said`);
  }
  for (const chosen of ['1', '0']) {
    const other = new Store();
    t.teardown(() => other.stop());
    const ws2 = copyFixture();
    const r = await run('cargo', ['build'], { cwd: ws2, env: other.env({ CARGO_INCREMENTAL: chosen }) });
    assertOk(t, r, `CARGO_INCREMENTAL=${chosen}`);
    t.notMatch(r.stderr, HINT, `CARGO_INCREMENTAL=${chosen}, a choice: nothing said`);
  }
});

// `[env] CARGO_INCREMENTAL = "0"` in .cargo/config.toml reaches rustc, and cargo, which does not
// read [env] for itself, compiles incrementally all the same: nothing was said (the variable read
// as the user's choice), and `explain` repeated the advice the user had followed (a helper's find).
t.test('CARGO_INCREMENTAL=0 given in [env] of .cargo/config.toml: the line says cargo does not read it', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = copyFixture();
  mkdirSync(join(ws, '.cargo'), { recursive: true });
  writeFileSync(join(ws, '.cargo', 'config.toml'), '[env]\nCARGO_INCREMENTAL = "0"\n');
  const env = store.env();
  delete env.CARGO_INCREMENTAL;
  const r = await run('cargo', ['build'], { cwd: ws, env });
  assertOk(t, r, 'the build');
  t.equal(r.stderr.match(/splitcache: cargo compiles this build's own crates incrementally, though CARGO_INCREMENTAL=0 reached rustc: cargo passes on \[env\] of \.cargo\/config\.toml and does not read it for itself; build\.incremental = false there/g)?.length, 1, `told once (${r.stderr.trim()})`);
});
