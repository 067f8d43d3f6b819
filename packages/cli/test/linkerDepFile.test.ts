import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, fileTree, run, Store } from './helpers.js';

// A link that has the linker write a make-style dependency file (`-Wl,--dependency-file=…`, from a
// build script's `cargo:rustc-link-arg-bins`, or a nightly's `-Z pre-link-arg`): its rules name
// every input of the link, the crate's objects among them. Under names of the call's own
// (privateObjects.ts) they were `….rcgu.o.sc-replay-<pid>-<n>-<random>`, other names each build,
// files no plain build makes.
const noNightly = spawnSync('rustup', ['run', 'nightly', 'rustc', '-V']).status !== 0 && 'nightly is not installed';

const workspace = (buildRs: boolean) =>
  fileTree(
    {
      'Cargo.toml': '[package]\nname = "ld"\nversion = "0.1.0"\nedition = "2021"\n',
      ...(buildRs ? { 'build.rs': 'fn main() {\n    println!("cargo:rustc-link-arg-bins=-Wl,--dependency-file={}/link.d", std::env::var("CARGO_MANIFEST_DIR").unwrap());\n}\n' } : {}),
      'src/main.rs': 'fn main() { println!("ld 7"); }\n',
    },
    'linker-dep',
  );

/** Builds `ws` with `args` through splitcache (a miss, then a hit after a clean) and plainly, and compares the link.d each wrote. */
async function compare(t: Test, ws: string, args: string[]): Promise<void> {
  const store = new Store();
  t.teardown(() => store.stop());
  // rustc's own temp dir (`rustcXXXXXX/symbols.o`) has a random name in every link, a plain one's too.
  const read = () => readFileSync(join(ws, 'link.d'), 'utf8').replace(/\/rustc[A-Za-z0-9]{6}\//g, '/rustcXXXXXX/');
  const seen: string[] = [];
  for (const [session, outcome] of [['one', 'miss'], ['two', 'hit']] as const) {
    assertOk(t, await store.cargo(ws, ['clean']), 'cargo clean');
    assertOk(t, await store.cargo(ws, args, { SPLITCACHE_SESSION: session }), `build ${session}`);
    const calls = (await store.audit(session)).filter((e) => e.crateType === 'bin').map((e) => `${e.crate} ${e.outcome}`);
    t.same(calls, [`ld ${outcome}`], `build ${session}: the bin ${outcome === 'hit' ? 'hits' : 'misses'}`);
    const text = read();
    t.match(text, /\.rcgu\.o/, `build ${session}: the file names the crate's objects`);
    t.notMatch(text, /sc-replay/, `build ${session}: by their plain names`);
    seen.push(text);
  }
  renameSync(join(ws, 'target'), join(ws, 'target-cached'));
  const plainEnv = store.env();
  delete plainEnv.RUSTC_WRAPPER;
  assertOk(t, await run('cargo', args, { cwd: ws, env: plainEnv }), 'a plain build');
  const plain = read();
  t.equal(seen[0], plain, "the miss's file is plain cargo's");
  t.equal(seen[1], plain, "the hit's file is plain cargo's");
  t.equal((await run(join(ws, 'target-cached', 'debug', 'ld'), [])).stdout, 'ld 7\n', 'the bin runs');
  t.ok(readFileSync(join(ws, 'target-cached', 'debug', 'ld')).equals(readFileSync(join(ws, 'target', 'debug', 'ld'))), "the bin is plain cargo's");
}

t.test("a build script's link arg for a dependency file: it names the crate's objects as a plain build's does, on a miss and on a hit", async (t) => {
  await compare(t, workspace(true), ['build']);
});

t.test("a nightly's -Z pre-link-arg for a dependency file: it names the crate's objects as a plain build's does", { skip: noNightly }, async (t) => {
  const ws = workspace(false);
  await compare(t, ws, ['+nightly', 'rustc', '--bin', 'ld', '--', `-Zpre-link-arg=-Wl,--dependency-file=${join(ws, 'link.d')}`]);
});

t.test("a nightly's -l link-arg for a dependency file: it names the crate's objects as a plain build's does", { skip: noNightly }, async (t) => {
  const ws = workspace(false);
  await compare(t, ws, ['+nightly', 'rustc', '--bin', 'ld', '--', '-Zunstable-options', '-l', `link-arg=--dependency-file=${join(ws, 'link.d')}`]);
});
