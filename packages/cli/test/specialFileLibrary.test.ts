import t from 'tap';
import { cachedQuietlyTwice } from './libraryDirBuilds.js';

// A dir a build script hands on (`cargo:rustc-link-search=$OUT_DIR`, kindless: searched for native
// libraries and crates) holding files named as libraries that are no regular file: FIFOs
// (`libpipe.a`, `libpipe.rlib`) and a link to /dev/zero (`libzero.a`). rustc opens no library it
// does not link and passes over them. The key opened each to digest it: the FIFO held the daemon's
// thread (/dev/zero spun it) until the client gave up after 10 s, stopped the daemon and built the
// crate uncached with a SPLITCACHE_DAEMON_UNRESPONSIVE line, on every build.
const WORKSPACE = {
  'Cargo.toml': '[package]\nname = "sf"\nversion = "0.1.0"\nedition = "2021"\n',
  'build.rs':
    'use std::process::Command;\nfn main() {\n    let out = std::env::var("OUT_DIR").unwrap();\n' +
    '    for f in ["libpipe.a", "libpipe.rlib", "libzero.a"] {\n        let _ = std::fs::remove_file(format!("{out}/{f}"));\n    }\n' +
    '    for f in ["libpipe.a", "libpipe.rlib"] {\n' +
    '        assert!(Command::new("mkfifo").arg(format!("{out}/{f}")).status().unwrap().success());\n    }\n' +
    '    std::os::unix::fs::symlink("/dev/zero", format!("{out}/libzero.a")).unwrap();\n' +
    '    println!("cargo:rustc-link-search={out}");\n}\n',
  'src/lib.rs': 'pub fn f() -> i32 { 6 }\n',
  'src/main.rs': 'fn main() { println!("sf {}", sf::f()); }\n',
};

t.test('FIFOs and a device named as libraries in a searched dir: the crates given it are cached, and nothing is said', (t) => cachedQuietlyTwice(t, WORKSPACE, 'special-lib', 'sf', 'sf 6\n'));
