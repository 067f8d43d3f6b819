import t from 'tap';
import { assertOk, fileTree, Store } from './helpers.js';

// A pass-through was recorded with no crate type, so the `pass` column of `splitcache stats`
// was 0 for every type, and `audit` showed its calls with none. An incremental build (cargo's
// default for the dev profile) passes every call of its own package through.
t.test('pass-throughs are counted under the crate type of their call', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const pkg = fileTree({
    'Cargo.toml': '[package]\nname = "passing"\nversion = "0.1.0"\nedition = "2021"\n',
    'build.rs': 'fn main() {}\n',
    'src/lib.rs': 'pub fn two() -> u32 { 2 }\n',
    'src/main.rs': 'fn main() { println!("{}", passing::two()); }\n',
  }, 'passing');
  assertOk(t, await store.cargo(pkg, ['build', '--all-targets'], { CARGO_INCREMENTAL: '1' }), 'an incremental build');
  const s = await store.stats();
  t.equal(s.passthrough.incremental, 5, 'each call passed through');
  for (const type of ['lib', 'bin', 'test', 'build-script']) t.ok((s.byType[type]?.passthrough ?? 0) > 0, `counted under ${type}`);
  const passed = (await store.audit()).filter((e) => e.outcome === 'passthrough');
  t.same(passed.map((e) => `${e.crate}:${e.crateType}`).sort(), ['build_script_build:build-script', 'passing:bin', 'passing:lib', 'passing:test', 'passing:test'], 'and recorded so in the audit log');
});

// `cargo rustc -- --print native-static-libs`, as rustc's own note tells FFI users: rustc prints
// it as the crate compiles. Taken for a probe (`--print cfg`), the call ran straight through on
// every build, in no summary, audit or stats: a build of hits read `100 %` with one crate compiled.
t.test('a compiling call with --print native-static-libs passes through counted, under both clients, and prints what rustc prints', async (t) => {
  const pkg = fileTree({
    'Cargo.toml': '[package]\nname = "ffi"\nversion = "0.1.0"\nedition = "2021"\n\n[lib]\ncrate-type = ["staticlib"]\n',
    'src/lib.rs': '#[no_mangle]\npub extern "C" fn ffi_one() -> i32 {\n    1\n}\n',
  }, 'print');
  for (const client of ['exec', 'node']) {
    const store = new Store();
    t.teardown(() => store.stop());
    const env = { SPLITCACHE_CLIENT: client, SPLITCACHE_SESSION: client };
    assertOk(t, await store.cargo(pkg, ['clean'], env), 'cargo clean');
    const r = await store.cargo(pkg, ['rustc', '--', '--print', 'native-static-libs'], env);
    assertOk(t, r, `${client}: cargo rustc -- --print native-static-libs`);
    t.match(r.stderr, /note: native-static-libs: -l/, 'the note rustc prints');
    const passed = (await store.audit(client)).filter((e) => e.outcome === 'passthrough');
    t.same(passed.map((e) => `${e.crate}:${e.reason}`), ['ffi:print'], 'the call is in the audit log, as a pass-through for its --print');
    t.equal((await store.stats()).passthrough.print, 1, 'and counted');
  }
});
