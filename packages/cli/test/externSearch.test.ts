import t from 'tap';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, BIN, run, Store, tempDir } from './helpers.js';

// rustc called as a build system other than cargo may call it: `extern crate a;` with no
// --extern for `a`, which rustc takes from an -L crate (or all) dir. dep-info names no
// crate file, so the key must (manifestKey.ts, item 8): a generic of `a` is compiled into
// the caller's own objects, and a rebuilt `a` must not be served with the old one in them.

t.test('a crate taken from an -L crate dir by `extern crate`: rebuilt, it misses; as it was, it hits', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const dir = tempDir('extern-search');
  const [deps, out, other] = [join(dir, 'deps'), join(dir, 'out'), join(dir, 'other')];
  for (const d of [deps, out, other]) mkdirSync(d);
  writeFileSync(join(dir, 'main.rs'), 'extern crate a;\nfn main() { println!("{}", a::v::<u8>()); }\n');
  const rebuildA = async (value: number) => {
    writeFileSync(join(dir, 'a.rs'), `pub fn v<T>() -> u32 { ${value} }\n`);
    assertOk(t, await run('rustc', ['--crate-name', 'a', '--crate-type', 'rlib', '--edition', '2021', 'a.rs', '--out-dir', deps], { cwd: dir }), `a built with v() = ${value}`);
  };
  const build = async (session: string, search = `crate=${deps}`) => {
    for (const f of readdirSync(out)) rmSync(join(out, f));
    const args = ['rustc', '--crate-name', 'app', '--crate-type', 'bin', '--edition', '2021', 'main.rs', '-L', search, '--out-dir', out, '--emit=dep-info,link', '-C', 'extra-filename=-x'];
    assertOk(t, await run(BIN, args, { cwd: dir, env: store.env({ SPLITCACHE_SESSION: session }) }), `the app built (${session})`);
    return { printed: (await run(join(out, 'app-x'), [])).stdout, outcomes: (await store.calls(session)).map((e) => e.outcome) };
  };

  await rebuildA(1);
  t.same(await build('one'), { printed: '1\n', outcomes: ['miss'] }, 'the first build');
  await rebuildA(2);
  t.same(await build('two'), { printed: '2\n', outcomes: ['miss'] }, 'a rebuilt: a miss, and the new v() (before: a hit printing 1)');
  await rebuildA(1);
  t.same(await build('back'), { printed: '1\n', outcomes: ['hit'] }, 'a as it was first: the first result');
  t.same(await build('all', deps), { printed: '1\n', outcomes: ['miss'] }, 'an -L dir of no kind (all) is searched too (its own key, as the flag differs)');
  await rebuildA(3);
  t.same(await build('all-rebuilt', deps), { printed: '3\n', outcomes: ['miss'] }, 'and a crate rebuilt there misses');
  t.ok(readdirSync(deps).some((f) => f.endsWith('.rlib')), 'the crate is an rlib in that dir');
});
