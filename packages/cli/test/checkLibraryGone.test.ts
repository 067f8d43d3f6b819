import t from 'tap';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, fileTree, run, Store } from './helpers.js';

// `cargo check` keys only whether each native static library is there (key item 8), not its bytes.
// That it is there still counts: a `+whole-archive` library is looked for as the .rmeta is written
// (its file name goes in), and a check without it fails. A -sys crate whose build script stopped
// making its archive (its C removed) must fail its check as a plain check does, not hit the
// check that found it.
const WORKSPACE = {
  'Cargo.toml': '[package]\nname = "gone-sys"\nversion = "0.1.0"\nedition = "2021"\nlinks = "gv"\n',
  'build.rs':
    'use std::process::Command;\nfn main() {\n    let out = std::env::var("OUT_DIR").unwrap();\n' +
    '    println!("cargo:rerun-if-changed=c");\n    let _ = std::fs::remove_file(format!("{out}/libgv.a"));\n' +
    '    if std::path::Path::new("c/gv.c").exists() {\n' +
    '        assert!(Command::new("cc").args(["-c", "-fPIC", "c/gv.c", "-o"]).arg(format!("{out}/gv.o")).status().unwrap().success());\n' +
    '        assert!(Command::new("ar").arg("crs").arg(format!("{out}/libgv.a")).arg(format!("{out}/gv.o")).status().unwrap().success());\n    }\n' +
    '    println!("cargo:rustc-link-search=native={out}");\n    println!("cargo:rustc-link-lib=static:+whole-archive=gv");\n}\n',
  'src/lib.rs': 'extern "C" { fn gv() -> i32; }\npub fn get() -> i32 { unsafe { gv() } }\n',
};

t.test('cargo check after the native library it links is gone: it fails as a plain check does', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = fileTree(WORKSPACE, 'check-gone');
  mkdirSync(join(ws, 'c'));
  writeFileSync(join(ws, 'c', 'gv.c'), 'int gv(void) { return 1; }\n');
  assertOk(t, await store.cargo(ws, ['check'], { SPLITCACHE_SESSION: 'one' }), 'the check with the library');
  rmSync(join(ws, 'c', 'gv.c'));
  const cached = await store.cargo(ws, ['check'], { SPLITCACHE_SESSION: 'two' });
  t.not(cached.code, 0, 'the check without it fails');
  t.match(cached.stderr, /could not find native static library `gv`/, "with rustc's word for it");
  const outcome = (await store.audit('two')).filter((e) => e.crateType === 'lib').map((e) => e.outcome);
  t.notSame(outcome, ['hit'], 'not served by the check that found it');

  const plainEnv = store.env();
  delete plainEnv.RUSTC_WRAPPER;
  plainEnv.CARGO_TARGET_DIR = join(ws, 'target-plain');
  const plain = await run('cargo', ['check'], { cwd: ws, env: plainEnv });
  t.equal(cached.code, plain.code, "the exit code is plain cargo's");
});
