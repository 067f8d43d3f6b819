import t from 'tap';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, fileTree, run, Store } from './helpers.js';

// Crates that link (a bin, a cdylib, a proc-macro) whose own build script compiles C into a static
// library: their -Zno-link half reads no native library, and the link step, which runs on a hit
// too, takes the archive as it is. So a change of the C alone must hit their -Zno-link outputs and
// still link the new code. Keyed by the archive's digest (item 8), each missed for nothing.

/** A build script that compiles c/<lib>.c into lib<lib>.a in OUT_DIR with the real cc and ar, and links it (`static<modifiers>=<lib>`). */
const buildRs = (lib: string, modifiers = '') =>
  'use std::process::Command;\nfn main() {\n    let out = std::env::var("OUT_DIR").unwrap();\n' +
  `    println!("cargo:rerun-if-changed=c/${lib}.c");\n` +
  `    assert!(Command::new("cc").args(["-c", "-fPIC", "c/${lib}.c", "-o"]).arg(format!("{out}/${lib}.o")).status().unwrap().success());\n` +
  `    let _ = std::fs::remove_file(format!("{out}/lib${lib}.a"));\n` +
  `    assert!(Command::new("ar").arg("crs").arg(format!("{out}/lib${lib}.a")).arg(format!("{out}/${lib}.o")).status().unwrap().success());\n` +
  `    println!("cargo:rustc-link-search=native={out}");\n    println!("cargo:rustc-link-lib=static${modifiers}=${lib}");\n}\n`;

const PKG = (name: string, extra = '') => `[package]\nname = "${name}"\nversion = "0.1.0"\nedition = "2021"\n${extra}`;

const WORKSPACE = {
  'Cargo.toml': '[workspace]\nmembers = ["tool", "pm", "user", "dy"]\nresolver = "2"\n',
  'tool/Cargo.toml': PKG('tool'),
  'tool/build.rs': buildRs('tv'),
  'tool/src/main.rs': 'extern "C" { fn tv() -> i32; }\nfn main() { println!("tool {}", unsafe { tv() }); }\n',
  'pm/Cargo.toml': PKG('pm', '\n[lib]\nproc-macro = true\n'),
  'pm/build.rs': buildRs('pv'),
  'pm/src/lib.rs': 'use proc_macro::TokenStream;\nextern "C" { fn pv() -> i32; }\n#[proc_macro]\npub fn pv_value(_: TokenStream) -> TokenStream { unsafe { pv() }.to_string().parse().unwrap() }\n',
  'user/Cargo.toml': PKG('user', '\n[dependencies]\npm = { path = "../pm" }\n'),
  'user/src/main.rs': 'fn main() { println!("pm {}", pm::pv_value!()); }\n',
  'dy/Cargo.toml': PKG('dy', '\n[lib]\ncrate-type = ["cdylib"]\n'),
  'dy/build.rs': buildRs('dv'),
  'dy/src/lib.rs': 'extern "C" { fn dv() -> i32; }\n#[no_mangle]\npub extern "C" fn dy_value() -> i32 { unsafe { dv() } }\n',
};

const C_FILES = ['tool/c/tv.c', 'pm/c/pv.c', 'dy/c/dv.c'];
const setC = (ws: string, n: number) => C_FILES.forEach((f) => writeFileSync(join(ws, f), `int ${f.slice(-4, -2)}(void) { return ${n}; }\n`));
const ARTIFACTS = ['tool', 'user', 'libdy.so'];

t.test('a bin, a proc-macro and a cdylib whose build scripts rebuilt their C: they hit, and link the new C as plain cargo does', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = fileTree(Object.fromEntries([...Object.entries(WORKSPACE), ...C_FILES.map((f) => [f, ''])]), 'native-link');
  setC(ws, 1);
  assertOk(t, await store.cargo(ws, ['build'], { SPLITCACHE_SESSION: 'one' }), 'the first build');
  setC(ws, 2);
  assertOk(t, await store.cargo(ws, ['clean']), 'cargo clean');
  assertOk(t, await store.cargo(ws, ['build'], { SPLITCACHE_SESSION: 'two' }), 'a build after the C changed');

  const outcome = (await store.audit('two')).filter((e) => e.crateType !== 'build-script').map((e) => `${e.crate} ${e.crateType} ${e.outcome}`);
  t.same(outcome.sort(), ['dy cdylib hit', 'pm proc-macro hit', 'tool bin hit', 'user bin miss'], 'the crates over the changed C hit; the one the new proc-macro expands in misses');
  const target = join(ws, 'target', 'debug');
  t.equal((await run(join(target, 'tool'), [])).stdout, 'tool 2\n', 'the bin links the new C');
  t.equal((await run(join(target, 'user'), [])).stdout, 'pm 2\n', 'the proc-macro runs the new C');
  t.match(readFileSync(join(target, 'libdy.so')).toString('latin1'), /dy_value/, 'the cdylib is there');

  const cached = ARTIFACTS.map((a) => readFileSync(join(target, a)));
  renameSync(join(ws, 'target'), join(ws, 'target-cached'));
  const plainEnv = store.env();
  delete plainEnv.RUSTC_WRAPPER;
  assertOk(t, await run('cargo', ['build'], { cwd: ws, env: plainEnv }), 'a plain build of the same sources');
  ARTIFACTS.forEach((a, i) => t.ok(readFileSync(join(target, a)).equals(cached[i]!), `${a}: byte-identical to plain cargo's`));
});

// A lib that links its archive unbundled (`static:-bundle`): its rlib holds none of it, and the bin over
// it links the archive from the -L native dir cargo passes on. A change of the C alone changes neither
// crate's outputs: both hit, and the bin's link takes the new archive. The lib was keyed by the archive,
// and missed each time for an rlib of the same bytes.
t.test('a lib linking its C unbundled (static:-bundle): after the C changed it hits, and the bin over it links the new C', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = fileTree({
    'Cargo.toml': '[workspace]\nmembers = ["nb", "app"]\nresolver = "2"\n',
    'nb/Cargo.toml': PKG('nb'),
    'nb/build.rs': buildRs('nv', ':-bundle'),
    'nb/src/lib.rs': 'extern "C" { fn nv() -> i32; }\npub fn get() -> i32 { unsafe { nv() } }\n',
    'nb/c/nv.c': '',
    'app/Cargo.toml': PKG('app', '\n[dependencies]\nnb = { path = "../nb" }\n'),
    'app/src/main.rs': 'fn main() { println!("nb {}", nb::get()); }\n',
  }, 'unbundled');
  const build = async (n: number, session: string) => {
    writeFileSync(join(ws, 'nb', 'c', 'nv.c'), `int nv(void) { return ${n}; }\n`);
    assertOk(t, await store.cargo(ws, ['clean']), 'cargo clean');
    assertOk(t, await store.cargo(ws, ['build'], { SPLITCACHE_SESSION: session }), `a build with nv() = ${n}`);
    return (await run(join(ws, 'target', 'debug', 'app'), [])).stdout;
  };
  t.equal(await build(1, 'one'), 'nb 1\n', 'the first build');
  t.equal(await build(2, 'two'), 'nb 2\n', 'after the C changed, the bin links the new C');
  const outcome = (await store.audit('two')).filter((e) => e.crateType !== 'build-script').map((e) => `${e.crate} ${e.crateType} ${e.outcome}`);
  t.same(outcome.sort(), ['app bin hit', 'nb lib hit'], 'the lib and the bin hit');
});
