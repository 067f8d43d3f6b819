import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, fileTree, run, Store } from './helpers.js';

// A library named by an -l that never bundles it (`static:-bundle=vv`) is left out of a lib's key
// (librarySearch.ts): its rlib holds none of it. But the crate's own `#[link]` may name the same file
// another way (`name = "libvv.a"`, `+verbatim`), which the -l does not override: rustc bundles it
// then. Left out of the key, the lib hit after the C changed, and the bin over it linked the old C.

const buildRs = (kind: string) =>
  'use std::process::Command;\nfn main() {\n    let out = std::env::var("OUT_DIR").unwrap();\n' +
  '    println!("cargo:rerun-if-changed=c/vv.c");\n' +
  '    assert!(Command::new("cc").args(["-c", "-fPIC", "c/vv.c", "-o"]).arg(format!("{out}/vv.o")).status().unwrap().success());\n' +
  '    let _ = std::fs::remove_file(format!("{out}/libvv.a"));\n' +
  '    assert!(Command::new("ar").arg("crs").arg(format!("{out}/libvv.a")).arg(format!("{out}/vv.o")).status().unwrap().success());\n' +
  `    println!("cargo:rustc-link-search=native={out}");\n    println!("cargo:rustc-link-lib=${kind}=vv");\n}\n`;

const PKG = (name: string, extra = '') => `[package]\nname = "${name}"\nversion = "0.1.0"\nedition = "2021"\n${extra}`;

for (const kind of ['static:-bundle', 'dylib']) t.test(`a lib whose #[link] bundles, by its file name, the archive an -l ${kind}= names: after the C changed, the bin links the new C`, async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = fileTree({
    'Cargo.toml': '[workspace]\nmembers = ["vs", "app"]\nresolver = "2"\n',
    'vs/Cargo.toml': PKG('vs'),
    'vs/build.rs': buildRs(kind),
    'vs/src/lib.rs': '#[link(name = "libvv.a", kind = "static", modifiers = "+verbatim")]\nextern "C" { fn vv() -> i32; }\npub fn get() -> i32 { unsafe { vv() } }\n',
    'vs/c/vv.c': '',
    'app/Cargo.toml': PKG('app', '\n[dependencies]\nvs = { path = "../vs" }\n'),
    'app/src/main.rs': 'fn main() { println!("vs {}", vs::get()); }\n',
  }, 'bundled-other-name');
  const build = async (n: number, session: string) => {
    writeFileSync(join(ws, 'vs', 'c', 'vv.c'), `int vv(void) { return ${n}; }\n`);
    assertOk(t, await store.cargo(ws, ['clean']), 'cargo clean');
    assertOk(t, await store.cargo(ws, ['build'], { SPLITCACHE_SESSION: session }), `a build with vv() = ${n}`);
    return (await run(join(ws, 'target', 'debug', 'app'), [])).stdout;
  };
  t.equal(await build(1, 'one'), 'vs 1\n', 'the first build');
  t.equal(await build(2, 'two'), 'vs 2\n', 'after the C changed, the bin links the new C (before: vs 1, the lib hit)');
  t.equal(await build(2, 'three'), 'vs 2\n', 'and again');
  t.same((await store.stats()).notStored, { 'bundles-unkeyed-library': 3 }, 'the lib is not stored, in any of the builds');
});
