import t from 'tap';
import { cachedQuietlyTwice } from './libraryDirBuilds.js';

// A dir a build script hands on (`cargo:rustc-link-search=$OUT_DIR`, kindless: searched for native
// libraries and crates) that holds dangling links named as libraries (`libgone.a`, `libgone.rlib`),
// as a package removed from under /usr/lib leaves them, links to themselves (`loop-libgone.a`: ELOOP),
// and a dir named as one (`libdir.a`). rustc
// takes only files it can read and passes over them; the key read each to digest it, and every crate given the dir built uncached with a
// SPLITCACHE_STORE_IO line a plain build never prints.
const WORKSPACE = {
  'Cargo.toml': '[package]\nname = "dg"\nversion = "0.1.0"\nedition = "2021"\n',
  'build.rs':
    'fn main() {\n    let out = std::env::var("OUT_DIR").unwrap();\n' +
    '    for f in ["libgone.a", "libgone.rlib"] {\n' +
    '        let _ = std::fs::remove_file(format!("{out}/{f}"));\n' +
    '        std::os::unix::fs::symlink("/nonexistent/splitcache-gone", format!("{out}/{f}")).unwrap();\n' +
    '        let _ = std::fs::remove_file(format!("{out}/loop-{f}"));\n' +
    '        std::os::unix::fs::symlink(format!("loop-{f}"), format!("{out}/loop-{f}")).unwrap();\n' +
    '    }\n    std::fs::create_dir_all(format!("{out}/libdir.a")).unwrap();\n    println!("cargo:rustc-link-search={out}");\n}\n',
  'src/lib.rs': 'pub fn f() -> i32 { 5 }\n',
  'src/main.rs': 'fn main() { println!("dg {}", dg::f()); }\n',
};

t.test('dangling links named as libraries in a searched dir: the crates given it are cached, and nothing is said', (t) => cachedQuietlyTwice(t, WORKSPACE, 'dangling', 'dg', 'dg 5\n'));
