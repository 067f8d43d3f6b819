import t from 'tap';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, BIN, fileTree, run, Store } from './helpers.js';

// A file system whose clock runs behind the daemon's (a VM host's bind mount, a network file
// system's server): an input written during a compile gets a ctime before the compile's start
// as the daemon counts it. A lag under 2 s was taken for none, so such an input read as written
// before the compile, and the result was stored: the new text's digest with the old text's
// outputs, which the next clean build hit. Here the daemon runs under libfaketime 1.5 s ahead,
// so the file system (the kernel's clock) is 1.5 s behind it, and a proc-macro rewrites a module
// of the crate it expands in, after rustc has read it, as a code generator run by a macro may.
const LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';

const MACRO = `use proc_macro::TokenStream;
#[proc_macro]
pub fn rewrite(_: TokenStream) -> TokenStream {
    let path = std::path::Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("src/m.rs");
    let new = "pub const WORD: &str = \\"new\\";\\n";
    if std::fs::read_to_string(&path).unwrap() != new {
        std::fs::write(&path, new).unwrap();
    }
    TokenStream::new()
}
`;

t.test("an input written during its compile on a file system 1.5 s behind the daemon's clock is not stored, and the next build prints what plain cargo prints", { skip: !existsSync(LIBFAKETIME) && 'libfaketime is not installed (Debian: faketime)' }, async (t) => {
  const ws = fileTree(
    {
      'Cargo.toml': '[workspace]\nmembers = ["app", "gen"]\nresolver = "2"\n',
      'gen/Cargo.toml': '[package]\nname = "gen"\nversion = "0.1.0"\nedition = "2021"\n[lib]\nproc-macro = true\n',
      'gen/src/lib.rs': MACRO,
      'app/Cargo.toml': '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n[dependencies]\ngen = { path = "../gen" }\n',
      // m.rs is read as its `mod` is collected, before any macro of the crate runs.
      'app/src/main.rs': 'mod m;\ngen::rewrite!();\nfn main() {\n    println!("{}", m::WORD);\n}\n',
      'app/src/m.rs': 'pub const WORD: &str = "old";\n',
    },
    'fs-clock-behind',
  );
  const store = new Store();
  t.teardown(() => store.stop());
  const started = await run(BIN, ['server', 'start'], { env: store.env({ LD_PRELOAD: LIBFAKETIME, FAKETIME: '+1.5', NO_FAKE_STAT: '1' }) });
  t.equal(started.code, 0, `the daemon starts under libfaketime (${started.stderr.trim()})`);
  t.match(readFileSync(`/proc/${store.daemonPid()}/environ`, 'latin1'), /FAKETIME=\+1\.5/, 'its clock 1.5 s ahead');

  assertOk(t, await store.cargo(ws, ['build', '-p', 'app'], { SPLITCACHE_SESSION: 'one' }), 'the first build');
  t.equal(readFileSync(join(ws, 'app', 'src', 'm.rs'), 'utf8'), 'pub const WORD: &str = "new";\n', 'the macro rewrote m.rs as app compiled');
  const calls = await store.calls('one');
  t.ok(calls.find((e) => e.crate === 'gen')?.entryKey, "gen's result, its sources written before the build, is stored");
  const app = calls.find((e) => e.crate === 'app');
  t.same([app?.outcome, app?.notStored], ['miss', 'input-modified-during-compile'], "app's result is not stored (before: stored with m.rs's new digest and the old outputs)");

  rmSync(join(ws, 'target'), { recursive: true, force: true });
  assertOk(t, await store.cargo(ws, ['build', '-p', 'app'], { SPLITCACHE_SESSION: 'two' }), 'a clean build');
  const out = await run(join(ws, 'target', 'debug', 'app'), []);
  t.equal(out.stdout, 'new\n', 'its binary prints "new", as plain cargo builds it (before: "old", a hit of the first build)');
});
