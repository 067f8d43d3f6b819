import t from 'tap';
import { cpSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { assertOk, fileTree, run, Store } from './helpers.js';

// rustc reads `-L PATH` as a kind only where PATH starts with one it knows (`native=`, `crate=`,
// `dependency=`, `framework=`, `all=`); `-L /w/a=b/out` is the kindless dir `/w/a=b/out`. Read at
// its first `=` as the kind `/w/a`, the dir was searched for no library: a build script's
// `cargo:rustc-link-search=$OUT_DIR` (no kind) under a checkout whose path holds `=` left its
// rebuilt archive out of the key, and the lib bundling it hit with the old code.
const BUILD_RS =
  'use std::{env, path::Path, process::Command};\nfn main() {\n' +
  '    let out = env::var("OUT_DIR").unwrap();\n' +
  '    let obj = Path::new(&out).join("answer.o");\n' +
  '    assert!(Command::new("cc").args(["-c", "answer.c", "-o"]).arg(&obj).status().unwrap().success());\n' +
  '    assert!(Command::new("ar").arg("crs").arg(Path::new(&out).join("libanswer.a")).arg(&obj).status().unwrap().success());\n' +
  '    println!("cargo:rustc-link-search={out}");\n' +
  '    println!("cargo:rustc-link-lib=static=answer");\n' +
  '    println!("cargo:rerun-if-changed=answer.c");\n}\n';

t.test('a kindless -L dir whose path holds `=`: its rebuilt static library is keyed, and the new code linked', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = fileTree({
    'Cargo.toml': '[workspace]\nmembers = ["sys", "app"]\nresolver = "2"\n',
    'sys/Cargo.toml': '[package]\nname = "sys"\nversion = "0.1.0"\nedition = "2021"\n',
    'sys/build.rs': BUILD_RS,
    'sys/src/lib.rs': 'extern "C" { fn answer() -> i32; }\npub fn get() -> i32 { unsafe { answer() } }\n',
    'sys/answer.c': 'int answer(void) { return 1; }\n',
    'app/Cargo.toml': '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nsys = { path = "../sys" }\n',
    'app/src/main.rs': 'fn main() { println!("{}", sys::get()); }\n',
  }, 'a=b');
  t.match(ws, /=/, 'the checkout path holds `=`');
  const answer = async (value: number, session: string) => {
    writeFileSync(join(ws, 'sys', 'answer.c'), `int answer(void) { return ${value}; }\n`);
    assertOk(t, await store.cargo(ws, ['build'], { SPLITCACHE_SESSION: session }), `a build with answer() = ${value}`);
    return (await run(join(ws, 'target', 'debug', 'app'), [])).stdout;
  };
  const outcomes = async (session: string) => (await store.audit(session)).filter((e) => e.crate === 'sys' && e.crateType === 'lib').map((e) => e.outcome);
  t.equal(await answer(1, 'one'), '1\n', 'the first build links answer() = 1');
  t.equal(await answer(2, 'two'), '2\n', 'after the C changes, the binary has the new answer()');
  t.same(await outcomes('two'), ['miss'], 'the lib bundling it missed');
});

// The key named a kindless `-L` by its dir, which holds the checkout: a crate under a build script's
// `cargo:rustc-link-search=$OUT_DIR` (no kind), and every crate after it, missed in a copy of the checkout
// (`explain`: `-L /…/a/target/…/out` absent, `-L /…/b/target/…/out` new).
t.test('a kindless -L dir under the checkout: a copy of the checkout hits', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const a = fileTree({
    'Cargo.toml': '[workspace]\nmembers = ["sys", "app"]\nresolver = "2"\n',
    'sys/Cargo.toml': '[package]\nname = "sys"\nversion = "0.1.0"\nedition = "2021"\n',
    'sys/build.rs': 'fn main() {\n    println!("cargo:rustc-link-search={}", std::env::var("OUT_DIR").unwrap());\n}\n',
    'sys/src/lib.rs': 'pub fn get() -> i32 { 7 }\n',
    'app/Cargo.toml': '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nsys = { path = "../sys" }\n',
    'app/src/main.rs': 'fn main() { println!("{}", sys::get()); }\n',
  }, 'kindless-a');
  const b = join(dirname(a), `${basename(a)}-copy`);
  cpSync(a, b, { recursive: true });
  t.teardown(() => rmSync(b, { recursive: true, force: true }));
  assertOk(t, await store.cargo(a, ['build'], { SPLITCACHE_SESSION: 'a' }), 'the build in the first checkout');
  assertOk(t, await store.cargo(b, ['build'], { SPLITCACHE_SESSION: 'b' }), 'the build in its copy');
  const calls = (await store.calls('b')).filter((e) => e.crateType !== 'build-script').map((e) => `${e.crate} ${e.outcome}`);
  t.same(calls, ['sys hit', 'app hit'], 'the lib under the kindless -L and the bin after it hit (before: both missed)');
  t.equal((await run(join(b, 'target', 'debug', 'app'), [])).stdout, '7\n', 'the copy\'s bin runs');
});
