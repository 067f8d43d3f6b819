import t from 'tap';
import { chmodSync, existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, fileTree, realRustc, run, Store, tempDir } from './helpers.js';

// A compiler not named rustc* (RUSTC pointing at a link named otherwise), or another tool in
// front of rustc (RUSTC_WORKSPACE_WRAPPER), runs untouched, as before; its compiling calls are
// now counted (`other-program`), so `stats` and the audit say why the build had no hits.
// Before, such a build left no trace: `stats` showed no call at all.

const pkg = () =>
  fileTree({
    'Cargo.toml': '[package]\nname = "other-program"\nversion = "0.1.0"\nedition = "2021"\n',
    'src/lib.rs': 'pub fn answer() -> u32 { 42 }\n',
    'src/main.rs': 'fn main() { println!("{}", other_program::answer()); }\n',
  }, 'other-program');

t.test('a compiler named otherwise runs untouched, and its compiling calls are counted as other-program', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const bin = tempDir('other-compiler');
  const compiler = join(bin, 'my-compiler');
  symlinkSync(await realRustc(), compiler);
  const ws = pkg();
  assertOk(t, await store.cargo(ws, ['build'], { RUSTC: compiler, SPLITCACHE_SESSION: 'other' }), 'the build succeeds');
  t.equal((await run(join(ws, 'target/debug/other-program'), [])).stdout, '42\n', 'and its binary runs');
  const stats = await store.stats();
  t.same(stats.passthrough, { 'other-program': 2 }, 'its two compiling calls are counted, its info calls are not');
  t.equal(stats.hits + stats.misses, 0, 'none looked up');
  const audit = await store.audit('other');
  t.same(audit.map((e) => [e.crate, e.outcome, e.reason]).sort(), [['other_program', 'passthrough', 'other-program'], ['other_program', 'passthrough', 'other-program']], 'the audit names the crate and the reason');
});

t.test('another tool in front of rustc runs untouched, and its compiling calls are counted', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const dir = tempDir('tool-in-front');
  const tool = join(dir, 'tool-in-front');
  const mark = join(dir, 'ran');
  writeFileSync(tool, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${mark}'\nexec "$@"\n`);
  chmodSync(tool, 0o755);
  const ws = pkg();
  assertOk(t, await store.cargo(ws, ['build'], { RUSTC_WORKSPACE_WRAPPER: tool }), 'the build succeeds');
  t.ok(existsSync(mark), 'the tool ran');
  const stats = await store.stats();
  t.same(stats.passthrough, { 'other-program': 2 }, 'the two workspace crates through it are counted');
  t.same([stats.byType.lib?.passthrough, stats.byType.bin?.passthrough], [1, 1], 'by their crate types');
  t.notMatch(readFileSync(mark, 'utf8'), /--print sysroot/, 'the daemon it started did not probe the tool as a rustc');
});
