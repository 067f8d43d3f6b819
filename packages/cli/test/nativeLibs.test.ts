import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { assertOk, fileTree, run, Store, tempDir } from './helpers.js';

// A -sys style crate whose build script compiles C into a static library in
// OUT_DIR. The rlib bundles that library, and rustc's dep-info never names
// it, so the key must (manifestKey.ts, item 8): after the C changes, a build
// must link the new code, never an rlib bundling the old one.

const BUILD_RS = (linkLib: boolean) =>
  'use std::{env, path::Path, process::Command};\nfn main() {\n' +
  '    let out = env::var("OUT_DIR").unwrap();\n' +
  '    let obj = Path::new(&out).join("answer.o");\n' +
  '    assert!(Command::new("cc").args(["-c", "answer.c", "-o"]).arg(&obj).status().unwrap().success());\n' +
  '    assert!(Command::new("ar").arg("crs").arg(Path::new(&out).join("libanswer.a")).arg(&obj).status().unwrap().success());\n' +
  '    println!("cargo:rustc-link-search=native={out}");\n' +
  (linkLib ? '    println!("cargo:rustc-link-lib=static=answer");\n' : '') +
  '    println!("cargo:rerun-if-changed=answer.c");\n}\n';

/** A workspace of `sys` (its build script and source as given, and `extra` files) and `app`, which prints sys::get(). */
const sysWorkspace = (buildRs: string, libRs: string, extra: Record<string, string> = {}) => ({
  'Cargo.toml': '[workspace]\nmembers = ["sys", "app"]\nresolver = "2"\n',
  'sys/Cargo.toml': '[package]\nname = "sys"\nversion = "0.1.0"\nedition = "2021"\n',
  'sys/build.rs': buildRs,
  'sys/src/lib.rs': libRs,
  ...extra,
  'app/Cargo.toml': '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nsys = { path = "../sys" }\n',
  'app/src/main.rs': 'fn main() { println!("{}", sys::get()); }\n',
});

const workspace = (linkLib: boolean) =>
  sysWorkspace(
    BUILD_RS(linkLib),
    (linkLib ? '' : '#[link(name = "answer", kind = "static")]\n') + 'extern "C" { fn answer() -> i32; }\npub fn get() -> i32 { unsafe { answer() } }\n',
    { 'sys/answer.c': 'int answer(void) { return 1; }\n' },
  );

for (const [how, linkLib] of [
  ['cargo:rustc-link-lib=static (an -l flag)', true],
  ['#[link(kind = "static")] in the source (no -l flag)', false],
] as const) {
  t.test(`a static library rebuilt by a build script, linked by ${how}: the new code is linked, the old is hit again`, async (t) => {
    const store = new Store();
    t.teardown(() => store.stop());
    const ws = fileTree(workspace(linkLib), 'native');
    const answer = async (value: number, session: string) => {
      writeFileSync(join(ws, 'sys', 'answer.c'), `int answer(void) { return ${value}; }\n`);
      assertOk(t, await store.cargo(ws, ['build'], { SPLITCACHE_SESSION: session }), `a build with answer() = ${value}`);
      return (await run(join(ws, 'target', 'debug', 'app'), [])).stdout;
    };
    const outcomes = async (session: string) =>
      (await store.audit(session)).filter((e) => e.crate === 'sys' && e.crateType === 'lib').map((e) => e.outcome);

    t.equal(await answer(1, 'one'), '1\n', 'the first build links answer() = 1');
    t.equal(await answer(2, 'two'), '2\n', 'after the C changes, the binary has the new answer()');
    t.same(await outcomes('two'), ['miss'], 'the lib bundling it missed');
    t.equal(await answer(1, 'back'), '1\n', 'back to the first C: the first answer()');
    t.same(await outcomes('back'), ['hit'], 'served by the first entry');
  });
}

// A vendor library outside the build's own trees (as in /opt, or /usr/local): a prebuilt `.a`
// the build script only points at. Only dirs in the build's trees were keyed, so a replaced
// library was served stale; a `+verbatim` name was looked up as `lib<name>.a` and missed too.
// A `+verbatim` name may be an absolute path, which rustc takes as it is whatever the search dirs
// (`absolute`, with a search dir that holds no library): joined to each, it was found nowhere and
// went unkeyed.
const vendorWorkspace = (vendor: string, verbatim: boolean, absolute = false) =>
  sysWorkspace(
    `fn main() {\n    println!("cargo:rustc-link-search=native=${absolute ? `${vendor}/empty` : vendor}");\n` +
      (verbatim ? `    println!("cargo:rustc-link-lib=static:+verbatim=${absolute ? `${vendor}/` : ''}libvendor.a");\n` : '') +
      `    println!("cargo:rerun-if-changed=${vendor}/libvendor.a");\n}\n`,
    (verbatim ? '' : '#[link(name = "vendor", kind = "static")]\n') + 'extern "C" { fn vendor_answer() -> i32; }\npub fn get() -> i32 { unsafe { vendor_answer() } }\n',
  );

// A thin archive (`ar T`) names its members' files, and Debian's deterministic ar writes the same
// bytes when a member is rebuilt: keyed by the archive alone, the lib bundling it hit with the
// old member's code (staticLibDigest.ts).
for (const [how, verbatim, thin, absolute] of [
  ['#[link(kind = "static")] in the source', false, false, false],
  ['cargo:rustc-link-lib=static:+verbatim=libvendor.a', true, false, false],
  ['#[link(kind = "static")] in the source, a thin archive', false, true, false],
  ['cargo:rustc-link-lib=static:+verbatim=<its absolute path>', true, false, true],
] as const) {
  t.test(`a vendor library outside the build's trees, linked by ${how}: replaced, the new code is linked`, async (t) => {
    const store = new Store();
    t.teardown(() => store.stop());
    // Not under the temp dir, which is one of the build's own prefixes.
    const vendor = tempDir('vendor', '/var/tmp');
    mkdirSync(join(vendor, 'empty'));
    const ws = fileTree(vendorWorkspace(vendor, verbatim, absolute), 'native');
    const answer = async (value: number, session: string) => {
      writeFileSync(join(vendor, 'vendor.c'), `int vendor_answer(void) { return ${value}; }\n`);
      t.equal(spawnSync('cc', ['-c', 'vendor.c', '-o', 'vendor.o'], { cwd: vendor }).status, 0, 'cc');
      rmSync(join(vendor, 'libvendor.a'), { force: true });
      t.equal(spawnSync('ar', [thin ? 'crsT' : 'crs', 'libvendor.a', 'vendor.o'], { cwd: vendor }).status, 0, 'ar');
      assertOk(t, await store.cargo(ws, ['build'], { SPLITCACHE_SESSION: session }), `a build with vendor_answer() = ${value}`);
      return (await run(join(ws, 'target', 'debug', 'app'), [])).stdout;
    };
    t.equal(await answer(1, 'one'), '1\n', 'the first build links vendor_answer() = 1');
    t.equal(await answer(2, 'two'), '2\n', 'after the library is replaced, the binary has the new code');
  });
}

// A staticlib is cached whole and holds the code of every crate below it. Its key has its direct
// dependency's rlib, which stays the same when a crate further down rebuilds the archive it bundles
// (its crate hash covers no native code): only the archive in the -L native dirs cargo passes on
// shows it. One named `foo.lib` (+verbatim) was not looked at, and the staticlib hit with the old C.
t.test('a staticlib over a dependency that bundles a rebuilt foo.lib: the new code is in it', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = fileTree({
    'Cargo.toml': '[workspace]\nmembers = ["sys", "mid", "app"]\nresolver = "2"\n',
    'sys/Cargo.toml': '[package]\nname = "sys"\nversion = "0.1.0"\nedition = "2021"\n',
    'sys/build.rs':
      'use std::process::Command;\nfn main() {\n    let out = std::env::var("OUT_DIR").unwrap();\n    println!("cargo:rerun-if-changed=foo.c");\n' +
      '    assert!(Command::new("cc").args(["-c", "-fPIC", "foo.c", "-o"]).arg(format!("{out}/foo.o")).status().unwrap().success());\n' +
      '    let _ = std::fs::remove_file(format!("{out}/foo.lib"));\n' +
      '    assert!(Command::new("ar").arg("rcs").arg(format!("{out}/foo.lib")).arg(format!("{out}/foo.o")).status().unwrap().success());\n' +
      '    println!("cargo:rustc-link-search=native={out}");\n    println!("cargo:rustc-link-lib=static:+verbatim=foo.lib");\n}\n',
    'sys/src/lib.rs': 'extern "C" { fn foo_value() -> i32; }\npub fn value() -> i32 { unsafe { foo_value() } }\n',
    'mid/Cargo.toml': '[package]\nname = "mid"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nsys = { path = "../sys" }\n',
    'mid/src/lib.rs': 'pub fn value() -> i32 { sys::value() }\n',
    'app/Cargo.toml': '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n\n[lib]\ncrate-type = ["staticlib"]\n\n[dependencies]\nmid = { path = "../mid" }\n',
    'app/src/lib.rs': '#[no_mangle]\npub extern "C" fn app_value() -> i32 { mid::value() }\n',
    'main.c': '#include <stdio.h>\nint app_value(void);\nint main(void) { printf("%d\\n", app_value()); return 0; }\n',
  }, 'staticlib');
  const value = async (n: number) => {
    writeFileSync(join(ws, 'sys', 'foo.c'), `int foo_value(void) { return ${n}; }\n`);
    assertOk(t, await store.cargo(ws, ['clean']), 'cargo clean');
    assertOk(t, await store.cargo(ws, ['build']), `a build with foo_value() = ${n}`);
    const exe = join(ws, 'm');
    t.equal(spawnSync('cc', ['main.c', 'target/debug/libapp.a', '-o', exe, '-lpthread', '-ldl'], { cwd: ws }).status, 0, 'a C program links the staticlib');
    return (await run(exe, [])).stdout;
  };
  t.equal(await value(1), '1\n', 'the first build');
  t.equal(await value(2), '2\n', 'after the C changes, the staticlib has the new code');
});

// cargo names the target dir to rustc as it was given (`CARGO_TARGET_DIR=../t` as `/ws/../t`), but
// a build script's OUT_DIR resolved: the `-L native=$OUT_DIR` its dependants get normalised as the
// target dir's real form there, and as its given form where the target dir is named plainly (the
// same path then). The app, which links the archive through that dir, missed between the two.
t.test('a target dir named with `..` in one checkout and plainly in another: every crate hits', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const a = fileTree(workspace(true), 'native-a');
  const c = fileTree(workspace(true), 'native-c');
  for (const ws of [a, c]) writeFileSync(join(ws, 'sys', 'answer.c'), 'int answer(void) { return 7; }\n');
  assertOk(t, await store.cargo(a, ['build'], { SPLITCACHE_SESSION: 'a' }), 'checkout A builds into its target/');
  const target = `${c}/../${basename(c)}-target`;
  assertOk(t, await store.cargo(c, ['build'], { SPLITCACHE_SESSION: 'c', CARGO_TARGET_DIR: target }), `checkout C builds into ${target}`);
  const events = await store.audit('c');
  t.same(events.filter((e) => e.outcome !== 'hit').map((e) => `${e.crate} ${e.crateType} ${e.outcome} ${e.reason ?? ''}`), [], 'every call of C hits');
  t.ok(events.some((e) => e.crate === 'app'), "among them the app's, which links through the build script's dir");
  t.equal((await run(join(target, 'debug', 'app'), [])).stdout, '7\n', 'and its binary links the C code');
});
