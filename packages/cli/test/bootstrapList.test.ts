import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, fileTree, run, Store } from './helpers.js';

// RUSTC_BOOTSTRAP=<crate> (or a comma list) unlocks unstable features for the crates it names
// only: rustc compiles every other crate as if it were unset, and a named one as if it were 1.
// Keyed by its raw value, such a build missed every crate; keyed as each crate acts on it, it
// shares the others' entries with a plain build and the named one's with a RUSTC_BOOTSTRAP=1
// build, and -1 (refused on stable anyway) shares all of a plain build's.

const ws = () =>
  fileTree({
    'Cargo.toml': '[workspace]\nmembers = ["app", "util"]\nresolver = "2"\n',
    'app/Cargo.toml': '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n',
    'app/src/main.rs': 'fn shout(s: &str) -> String { s.to_uppercase() }\nfn main() { println!("{}", shout("hi")); }\n',
    'util/Cargo.toml': '[package]\nname = "util"\nversion = "0.1.0"\nedition = "2021"\n',
    'util/src/lib.rs': 'pub fn twice(x: u32) -> u32 { x * 2 }\n',
  });

/** The built files of a target dir that the test compares: app's binary and util's rlib. */
function outputs(target: string): Record<string, Buffer> {
  const deps = join(target, 'debug', 'deps');
  const rlib = readdirSync(deps).find((n) => n.startsWith('libutil-') && n.endsWith('.rlib'))!;
  return { app: readFileSync(join(target, 'debug', 'app')), [rlib]: readFileSync(join(deps, rlib)) };
}

t.test('RUSTC_BOOTSTRAP naming one crate: the others hit a plain build\'s entries, the named one a RUSTC_BOOTSTRAP=1 build\'s', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const dir = ws();
  const plain = async (bootstrap: string | undefined, target: string) => {
    const env: NodeJS.ProcessEnv = { ...process.env, CARGO_INCREMENTAL: '0', RUSTC_WRAPPER: '', CARGO_TARGET_DIR: join(dir, target) };
    delete env.RUSTC_BOOTSTRAP;
    assertOk(t, await run('cargo', ['build'], { cwd: dir, env: bootstrap === undefined ? env : { ...env, RUSTC_BOOTSTRAP: bootstrap } }), `a plain build, RUSTC_BOOTSTRAP=${bootstrap ?? '(unset)'}`);
    return outputs(join(dir, target));
  };
  const cached = async (bootstrap: string | undefined, session: string) => {
    await store.cargo(dir, ['clean']);
    const env = store.env({ SPLITCACHE_SESSION: session });
    delete env.RUSTC_BOOTSTRAP;
    assertOk(t, await run('cargo', ['build'], { cwd: dir, env: bootstrap === undefined ? env : { ...env, RUSTC_BOOTSTRAP: bootstrap } }), `through splitcache, RUSTC_BOOTSTRAP=${bootstrap ?? '(unset)'}`);
    const outcomes = Object.fromEntries((await store.calls(session)).map((e) => [e.crate, e.outcome]));
    return { outcomes, files: outputs(join(dir, 'target')) };
  };
  const same = (got: Record<string, Buffer>, want: Record<string, Buffer>, what: string) =>
    t.same(Object.keys(got).filter((f) => !got[f]!.equals(want[f] ?? Buffer.alloc(0))), [], `${what}: app and util byte-identical to the plain build's`);

  const unset = await cached(undefined, 'unset');
  t.same(unset.outcomes, { app: 'miss', util: 'miss' }, 'a first build misses both');
  same(unset.files, await plain(undefined, 'plain'), 'unset');

  const named = await cached('app', 'named');
  t.same(named.outcomes, { app: 'miss', util: 'hit' }, 'RUSTC_BOOTSTRAP=app: util hits the plain build\'s entry (before: a miss), app (v0-mangled there) misses');
  const plainNamed = await plain('app', 'plain-named');
  same(named.files, plainNamed, 'RUSTC_BOOTSTRAP=app');
  t.notOk(plainNamed.app!.equals(unset.files.app!), 'whose app differs from an unset build\'s (so its miss was right)');

  const one = await cached('1', 'one');
  t.same(one.outcomes, { app: 'hit', util: 'miss' }, 'RUSTC_BOOTSTRAP=1: app hits the entry of the build that named it, util misses');
  same(one.files, await plain('1', 'plain-one'), 'RUSTC_BOOTSTRAP=1');

  const refused = await cached('-1', 'refused');
  t.same(refused.outcomes, { app: 'hit', util: 'hit' }, 'RUSTC_BOOTSTRAP=-1 on stable: both hit the plain build\'s entries');
  same(refused.files, await plain('-1', 'plain-refused'), 'RUSTC_BOOTSTRAP=-1');
});
