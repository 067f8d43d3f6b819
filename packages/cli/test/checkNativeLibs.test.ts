import t from 'tap';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, fileTree, run, Store } from './helpers.js';

// `cargo check` of a -sys crate whose build script compiles C into a static library, and of the
// crates over it, which cargo gives the library's -L native dir. A check writes .rmeta files, which
// name a native library and never hold its bytes: after a change of the C alone, each check hits
// with the .rmeta a plain check writes. Keyed by the archive's digest (item 8), each missed.
const buildRs =
  'use std::process::Command;\nfn main() {\n    let out = std::env::var("OUT_DIR").unwrap();\n' +
  '    println!("cargo:rerun-if-changed=c/cv.c");\n' +
  '    assert!(Command::new("cc").args(["-c", "-fPIC", "c/cv.c", "-o"]).arg(format!("{out}/cv.o")).status().unwrap().success());\n' +
  '    let _ = std::fs::remove_file(format!("{out}/libcv.a"));\n' +
  '    assert!(Command::new("ar").arg("crs").arg(format!("{out}/libcv.a")).arg(format!("{out}/cv.o")).status().unwrap().success());\n' +
  '    println!("cargo:rustc-link-search=native={out}");\n    println!("cargo:rustc-link-lib=static=cv");\n}\n';

const PKG = (name: string, deps = '') => `[package]\nname = "${name}"\nversion = "0.1.0"\nedition = "2021"\n${deps}`;

const WORKSPACE = {
  'Cargo.toml': '[workspace]\nmembers = ["cv-sys", "mid", "app"]\nresolver = "2"\n',
  'cv-sys/Cargo.toml': PKG('cv-sys', 'links = "cv"\n'),
  'cv-sys/build.rs': buildRs,
  'cv-sys/src/lib.rs': 'extern "C" { fn cv() -> i32; }\npub fn get() -> i32 { unsafe { cv() } }\n',
  'mid/Cargo.toml': PKG('mid', '\n[dependencies]\ncv-sys = { path = "../cv-sys" }\n'),
  'mid/src/lib.rs': 'pub fn twice() -> i32 { cv_sys::get() * 2 }\n',
  'app/Cargo.toml': PKG('app', '\n[dependencies]\nmid = { path = "../mid" }\n'),
  'app/src/main.rs': 'fn main() { println!("{}", mid::twice()); }\n',
};

/** Each .rmeta of a check, by file name. */
const rmetas = (dir: string) => new Map(readdirSync(dir).filter((f) => f.endsWith('.rmeta')).map((f) => [f, readFileSync(join(dir, f))]));

t.test('cargo check after a -sys crate rebuilt its C: it and the crates over it hit, with the .rmeta files a plain check writes', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = fileTree(WORKSPACE, 'check-native');
  const setC = (n: number) => writeFileSync(join(ws, 'cv-sys', 'c', 'cv.c'), `int cv(void) { return ${n}; }\n`);
  mkdirSync(join(ws, 'cv-sys', 'c'));
  setC(1);
  assertOk(t, await store.cargo(ws, ['check'], { SPLITCACHE_SESSION: 'one' }), 'the first check');
  setC(2);
  assertOk(t, await store.cargo(ws, ['check'], { SPLITCACHE_SESSION: 'two' }), 'a check after the C changed');
  const outcome = (await store.audit('two')).filter((e) => e.crateType !== 'build-script').map((e) => `${e.crate} ${e.crateType} ${e.outcome}`);
  t.same(outcome.sort(), ['app bin hit', 'cv_sys lib hit', 'mid lib hit'], 'the -sys crate and the crates over it hit');

  const deps = join(ws, 'target', 'debug', 'deps');
  const cached = rmetas(deps);
  renameSync(join(ws, 'target'), join(ws, 'target-cached'));
  const plainEnv = store.env();
  delete plainEnv.RUSTC_WRAPPER;
  assertOk(t, await run('cargo', ['check'], { cwd: ws, env: plainEnv }), 'a plain check of the same sources');
  const plain = rmetas(deps);
  t.same([...cached.keys()].sort(), [...plain.keys()].sort(), 'the same .rmeta files');
  for (const [f, bytes] of plain) t.ok(cached.get(f)?.equals(bytes), `${f}: byte-identical to plain cargo's`);

  assertOk(t, await store.cargo(ws, ['run', '-q', '-p', 'app'], { SPLITCACHE_SESSION: 'three' }), 'a build');
  t.equal((await run(join(ws, 'target', 'debug', 'app'), [])).stdout, '4\n', 'the bin built after links the new C');
});
