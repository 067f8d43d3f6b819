import t from 'tap';
import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, fileTree, Store, tempDir } from './helpers.js';

// Under nightly cargo's -Zbinary-dep-depinfo (rustc's own bootstrap builds so), dep-info names the
// crate files rustc found through --extern and `-L dependency=`, in the target dir. A result
// recorded them as they were too, as it does an absolute input no fixed path can be told from
// (nearInputs.ts): a hit in a second worktree named the first one's target dir to cargo, which
// built the crate again whenever that dir changed, and the lookup missed once the first worktree
// was built at another commit (a hunt).
const skip = spawnSync('cargo', ['+nightly', '-V']).status === 0 ? false : 'no nightly cargo';

/** A workspace of `files` (worktree a) and a copy of it at another path (worktree b). */
function twoWorktrees(files: Record<string, string>, name: string): { a: string; b: string } {
  const a = fileTree(files, `${name}-a`);
  const b = join(tempDir(`${name}-b`), 'b');
  cpSync(a, b, { recursive: true });
  return { a, b };
}

/** The dep-info files in `ws`'s target/debug/deps whose text names `dir`. */
function depInfoNaming(ws: string, dir: string): string[] {
  const deps = join(ws, 'target', 'debug', 'deps');
  return readdirSync(deps).filter((f) => f.endsWith('.d') && readFileSync(join(deps, f), 'utf8').includes(dir));
}

t.test('-Zbinary-dep-depinfo: a worktree hit names its own crate files, not the first worktree\'s', { skip }, async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const { a, b } = twoWorktrees({
    'Cargo.toml': '[workspace]\nmembers = ["lib", "app"]\nresolver = "2"\n',
    'lib/Cargo.toml': '[package]\nname = "lib"\nversion = "0.1.0"\nedition = "2021"\n',
    'lib/src/lib.rs': 'pub fn f() -> u32 { 1 }\n',
    'app/Cargo.toml': '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nlib = { path = "../lib" }\n',
    'app/src/main.rs': 'fn main() { println!("{}", lib::f()); }\n',
  }, 'worktree');
  const build = (ws: string, session: string) => store.cargo(ws, ['+nightly', 'build', '-Zbinary-dep-depinfo'], { SPLITCACHE_SESSION: session });

  assertOk(t, await build(a, 'a'), 'worktree a builds');
  assertOk(t, await build(b, 'b'), 'worktree b builds');
  t.same((await store.calls('b')).map((e) => `${e.crate}:${e.outcome}`).sort(), ['app:hit', 'lib:hit'], 'hitting what a stored');
  t.same(depInfoNaming(b, a), [], "no dep-info of b's names a's dir (app's named a's liblib rmeta)");

  writeFileSync(join(a, 'lib', 'src', 'lib.rs'), 'pub fn f() -> u32 { 2 }\n');
  assertOk(t, await build(a, 'a2'), 'worktree a builds at another commit');
  const again = await build(b, 'b-fresh');
  assertOk(t, again, 'worktree b builds again');
  t.notMatch(again.stderr, /Compiling/, 'with nothing to compile: its crates are fresh (cargo built app again for a\'s change)');

  assertOk(t, await store.cargo(b, ['clean']), 'cargo clean in b');
  assertOk(t, await build(b, 'b-clean'), 'worktree b builds from clean');
  t.same((await store.calls('b-clean')).map((e) => `${e.crate}:${e.outcome}`).sort(), ['app:hit', 'lib:hit'], "hitting both again (app missed on a's new rmeta)");
});

// Under `cargo check` the crates are .rmeta files, and one a dependency's dependency found through
// `-L dependency=` (no --extern names it) is known as a crate file by its dir and its extension alone.
t.test('-Zbinary-dep-depinfo under cargo check: a worktree hit names no rmeta of the first worktree\'s, a transitive one either', { skip }, async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const { a, b } = twoWorktrees({
    'Cargo.toml': '[workspace]\nmembers = ["base", "mid", "top"]\nresolver = "2"\n',
    'base/Cargo.toml': '[package]\nname = "base"\nversion = "0.1.0"\nedition = "2021"\n',
    'base/src/lib.rs': 'pub struct B(pub u32);\n',
    'mid/Cargo.toml': '[package]\nname = "mid"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nbase = { path = "../base" }\n',
    'mid/src/lib.rs': 'pub fn m() -> base::B { base::B(1) }\n',
    'top/Cargo.toml': '[package]\nname = "top"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nmid = { path = "../mid" }\n',
    'top/src/lib.rs': 'pub fn t() -> u32 { mid::m().0 }\n',
  }, 'check-worktree');
  const check = (ws: string, session: string) => store.cargo(ws, ['+nightly', 'check', '-Zbinary-dep-depinfo'], { SPLITCACHE_SESSION: session });
  assertOk(t, await check(a, 'a'), 'worktree a checks');
  assertOk(t, await check(b, 'b'), 'worktree b checks');
  t.same((await store.calls('b')).map((e) => `${e.crate}:${e.outcome}`).sort(), ['base:hit', 'mid:hit', 'top:hit'], 'hitting what a stored');
  t.same(depInfoNaming(b, a), [], "no dep-info of b's names a's dir (top's named a's libbase rmeta, found through -L dependency=)");
});
