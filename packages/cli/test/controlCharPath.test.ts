import t from 'tap';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, fileTree, run, Store, tempDir } from './helpers.js';

// A checkout whose path holds a newline: the .rlink codec writes no such path. Its hit of a
// crate that links, stored by another checkout, failed to write the .rlink, and the entry was
// evicted (`SPLITCACHE_STORE_IO: … rewriteRlink map returned …`), so every other checkout missed
// it next (`entry-gone`), and the two undid each other's hits (a hunting helper's repro). Its
// crates that link are now compiled plainly (`control-char-path`); its libs are cached as before.

t.test('a checkout whose path holds a newline compiles its crates that link plainly, and evicts no one else\'s entry', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const plain = fileTree(
    {
      'Cargo.toml': '[package]\nname = "nl"\nversion = "0.1.0"\nedition = "2021"\n',
      'src/lib.rs': 'pub fn f() -> u32 { 7 }\n',
      'src/main.rs': 'fn main() { println!("{}", nl::f()); }\n',
    },
    'plain-co',
  );
  const odd = join(tempDir('nl-co'), 'new\nline');
  cpSync(plain, odd, { recursive: true });
  const build = async (ws: string, session: string) => {
    rmSync(join(ws, 'target'), { recursive: true, force: true });
    const r = await store.cargo(ws, ['build'], { SPLITCACHE_SESSION: session });
    assertOk(t, r, `build ${session}`);
    t.notMatch(r.stderr, /splitcache: SPLITCACHE_/, `${session}: no fault line`);
    return r;
  };
  await build(plain, 'first');
  await build(odd, 'odd');
  const oddCalls = await store.audit('odd');
  t.same(
    oddCalls.map((e) => `${e.crateType} ${e.outcome} ${e.reason ?? ''}`.trim()).sort(),
    ['bin passthrough control-char-path', 'lib hit'],
    'its bin compiled plainly, its lib hit',
  );
  t.equal((await run(join(odd, 'target', 'debug', 'nl'), [])).stdout, '7\n', 'its binary runs');
  const why = await store.splitcache(['explain', 'nl', '--type', 'bin', '--session', 'odd']);
  t.match(why.stdout, /passed through for control-char-path\n {2}a path of the call's \(its checkout, target dir or CARGO_HOME\) holds a tab or a newline/, 'explain says why');
  await build(plain, 'again');
  t.same((await store.audit('again')).map((e) => `${e.crateType} ${e.outcome}`).sort(), ['bin hit', 'lib hit'], 'the first checkout still hits both');
  // A path no .rlink holds may have one: a tab in TMPDIR passed every crate that links through (a review's).
  const tabbed = join(tempDir('tab-tmp'), 'a\tb');
  mkdirSync(tabbed);
  rmSync(join(plain, 'target'), { recursive: true, force: true });
  assertOk(t, await store.cargo(plain, ['build'], { SPLITCACHE_SESSION: 'tab', TMPDIR: tabbed }), 'a build with a tab in TMPDIR');
  t.same((await store.audit('tab')).map((e) => `${e.crateType} ${e.outcome}`).sort(), ['bin hit', 'lib hit'], 'hits both');
});

// rustc's dep-info names the out dir (and a member outside the workspace root, by its absolute
// path) as is: a newline in it leaves lines no parser reads. Every lib that missed in such a
// checkout printed `SPLITCACHE_DEPINFO_MALFORMED … (the result of nl is not stored …)`, which a
// plain build never prints (a hunting helper's repro); it is now not stored, quietly.
t.test('a lib that misses in a checkout whose path holds a newline is not stored, with no fault line, and its bin runs', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const odd = join(tempDir('nl-lib'), 'new\nline');
  cpSync(fileTree({ 'Cargo.toml': '[package]\nname = "nl"\nversion = "0.1.0"\nedition = "2021"\n', 'src/lib.rs': 'pub fn f() -> u32 { 8 }\n', 'src/main.rs': 'fn main() { println!("{}", nl::f()); }\n' }, 'nl-lib-co'), odd, { recursive: true });
  const r = await store.cargo(odd, ['build'], { SPLITCACHE_SESSION: 'odd' });
  assertOk(t, r, 'the package builds');
  t.notMatch(r.stderr, /SPLITCACHE_/, 'no fault line (shown on the bin\'s call, after the lib\'s)');
  const lib = (await store.audit('odd')).filter((e) => e.crateType === 'lib').map((e) => `${e.outcome} ${e.notStored ?? ''}`);
  t.same(lib, ['miss control-char-path'], 'its lib missed, not stored for its path');
  t.equal((await run(join(odd, 'target', 'debug', 'nl'), [])).stdout, '8\n', 'its binary runs');
});
