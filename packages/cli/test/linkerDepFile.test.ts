import t from 'tap';
import { readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, fileTree, run, Store } from './helpers.js';

// A build script that has the linker write a make-style dependency file of the bin's link
// (`cargo:rustc-link-arg-bins=-Wl,--dependency-file=…`): its rules name every input of the link,
// the crate's objects among them. Under names of the call's own (privateObjects.ts) they were
// `….rcgu.o.sc-replay-<pid>-<n>-<random>`, other names each build, files no plain build makes.
const WORKSPACE = {
  'Cargo.toml': '[package]\nname = "ld"\nversion = "0.1.0"\nedition = "2021"\n',
  'build.rs':
    'fn main() {\n    let out = std::env::var("OUT_DIR").unwrap();\n' +
    '    println!("cargo:rustc-link-arg-bins=-Wl,--dependency-file={out}/../link.d");\n}\n',
  'src/main.rs': 'fn main() { println!("ld 7"); }\n',
};

t.test("a linker's dependency file names the crate's objects as a plain build's does, on a miss and on a hit", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = fileTree(WORKSPACE, 'linker-dep');
  const read = async () => {
    const r = await run('sh', ['-c', 'cat target/debug/build/ld-*/link.d'], { cwd: ws });
    assertOk(t, r, 'the dependency file is there');
    // rustc's own temp dir (`rustcXXXXXX/symbols.o`) has a random name in every link, a plain one's too.
    return r.stdout.replace(/\/rustc[A-Za-z0-9]{6}\//g, '/rustcXXXXXX/');
  };
  const seen: string[] = [];
  for (const [session, outcome] of [['one', 'miss'], ['two', 'hit']] as const) {
    assertOk(t, await store.cargo(ws, ['clean']), 'cargo clean');
    assertOk(t, await store.cargo(ws, ['build'], { SPLITCACHE_SESSION: session }), `build ${session}`);
    const calls = (await store.audit(session)).filter((e) => e.crateType === 'bin').map((e) => `${e.crate} ${e.outcome}`);
    t.same(calls, [`ld ${outcome}`], `build ${session}: the bin ${outcome === 'hit' ? 'hits' : 'misses'}`);
    const text = await read();
    t.match(text, /\.rcgu\.o/, `build ${session}: the file names the crate's objects`);
    t.notMatch(text, /sc-replay/, `build ${session}: by their plain names`);
    seen.push(text);
  }
  renameSync(join(ws, 'target'), join(ws, 'target-cached'));
  const plainEnv = store.env();
  delete plainEnv.RUSTC_WRAPPER;
  assertOk(t, await run('cargo', ['build'], { cwd: ws, env: plainEnv }), 'a plain build');
  const plain = await read();
  t.equal(seen[0], plain, "the miss's file is plain cargo's");
  t.equal(seen[1], plain, "the hit's file is plain cargo's");
  t.equal((await run(join(ws, 'target-cached', 'debug', 'ld'), [])).stdout, 'ld 7\n', 'the bin runs');
  t.ok(readFileSync(join(ws, 'target-cached', 'debug', 'ld')).equals(readFileSync(join(ws, 'target', 'debug', 'ld'))), "the bin is plain cargo's");
});
