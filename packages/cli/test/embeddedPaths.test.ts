import t, { type Test } from 'tap';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, copyFixture, fileTree, run, Store, tempDir } from './helpers.js';

/** A fresh store, stopped when the test ends, and two checkouts of `files` at other paths: a producer and a consumer. */
function twoCheckouts(t: Test, files: Record<string, string>): { store: Store; a: string; b: string } {
  const store = new Store();
  t.teardown(() => store.stop());
  return { store, a: fileTree(files, 'producer'), b: fileTree(files, 'consumer') };
}

// Paths that reach the code a build produces, not only its debuginfo: a hit
// from a checkout in another directory must not hand over the producer's.

const WORKSPACE = {
  'Cargo.toml': '[workspace]\nmembers = ["gen", "app"]\nresolver = "2"\n',
  'gen/Cargo.toml': '[package]\nname = "gen"\nversion = "0.1.0"\nedition = "2021"\n',
  'gen/build.rs':
    'fn main() {\n    let out = std::env::var("OUT_DIR").unwrap();\n' +
    '    std::fs::write(std::path::Path::new(&out).join("gen.rs"), "pub fn answer() -> u32 { 42 }\\n").unwrap();\n}\n',
  'gen/src/lib.rs': 'include!(concat!(env!("OUT_DIR"), "/gen.rs"));\n',
  'app/Cargo.toml': '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\ngen = { path = "../gen" }\n',
  'app/src/main.rs': 'fn main() {\n    println!("{} {}", env!("CARGO_MANIFEST_DIR"), gen::answer());\n}\n',
  // What cargo's docs suggest for integration tests: run the package's binary, write under the target's temp dir.
  'app/tests/own_binary.rs':
    '#[test]\nfn runs_its_own_binary() {\n' +
    '    let out = std::process::Command::new(env!("CARGO_BIN_EXE_app")).output().unwrap();\n' +
    '    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), format!("{} 42", env!("CARGO_MANIFEST_DIR")));\n' +
    '    std::fs::write(std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("ran"), "yes").unwrap();\n}\n',
};

t.test('env!() of a path is the checkout\'s own after a hit from another directory; include!() from OUT_DIR still hits', async (t) => {
  const { store, a, b } = twoCheckouts(t, WORKSPACE);
  assertOk(t, await store.cargo(a, ['test', '--no-run'], { SPLITCACHE_SESSION: 'a' }), 'checkout A builds its bin and tests');
  assertOk(t, await store.cargo(a, ['build'], { SPLITCACHE_SESSION: 'a' }), 'and its bin');
  rmSync(a, { recursive: true, force: true }); // a CI runner that is gone: nothing of A may be needed now

  const r = await store.cargo(b, ['test'], { SPLITCACHE_SESSION: 'b' });
  assertOk(t, r, 'checkout B\'s tests pass: they run B\'s binary and write under B\'s target');
  t.equal(readFileSync(join(b, 'target', 'tmp', 'ran'), 'utf8'), 'yes', 'CARGO_TARGET_TMPDIR named B\'s');
  assertOk(t, await store.cargo(b, ['build'], { SPLITCACHE_SESSION: 'b' }), 'checkout B builds its bin');
  t.equal((await run(join(b, 'target', 'debug', 'app'), [])).stdout, `${join(b, 'app')} 42\n`, 'B\'s binary prints B\'s CARGO_MANIFEST_DIR');

  const events = await store.calls('b');
  const outcome = (crate: string, type: string) => events.filter((e) => e.crate === crate && e.crateType === type).map((e) => e.outcome);
  t.same(outcome('gen', 'lib'), ['hit'], 'the lib that include!()s its generated source hits across directories');
  t.same(outcome('build_script_build', 'build-script'), ['hit'], 'so does its build script');
  t.ok(outcome('app', 'bin').includes('miss'), 'the bin that reads CARGO_MANIFEST_DIR misses');
  t.same(outcome('own_binary', 'test'), ['miss'], 'and so does the test that reads CARGO_BIN_EXE_app');

  const explained = await store.splitcache(['explain', 'own_binary', '--session', 'b', '--json']);
  assertOk(t, explained, 'explain runs');
  const why = JSON.parse(explained.stdout) as { verdict: string; differences: { name: string }[] };
  t.equal(why.verdict, 'inputs', 'explain: same key, an env-dep differs');
  t.ok(why.differences.some((d) => d.name === 'env-dep:CARGO_MANIFEST_DIR'), `and names it (${why.differences.map((d) => d.name).join(', ')})`);

  rmSync(join(b, 'target'), { recursive: true, force: true });
  assertOk(t, await store.cargo(b, ['test', '--no-run'], { SPLITCACHE_SESSION: 'b2' }), 'B again from clean');
  const again = await store.calls('b2');
  t.ok(again.length > 0 && again.every((e) => e.outcome === 'hit'), `then every call hits in B (${again.length})`);
});

// A crate that includes its generated source from OUT_DIR and also pastes OUT_DIR into its code:
// the include alone would let it hit across directories, the value must not.
const OUT_DIR_READER = {
  'Cargo.toml': '[package]\nname = "reader"\nversion = "0.1.0"\nedition = "2021"\n',
  'build.rs':
    'fn main() {\n    let out = std::env::var("OUT_DIR").unwrap();\n' +
    '    std::fs::write(format!("{out}/gen.rs"), "pub const G: u32 = 5;").unwrap();\n' +
    '    std::fs::write(format!("{out}/data.txt"), "data").unwrap();\n}\n',
  'src/main.rs':
    'include!(concat!(env!("OUT_DIR"), "/gen.rs"));\n' +
    'fn main() {\n    println!("{} {}", G, env!("OUT_DIR"));\n' +
    '    println!("{}", std::fs::read_to_string(concat!(env!("OUT_DIR"), "/data.txt")).unwrap());\n}\n',
};

t.test("a crate that includes from OUT_DIR and also reads OUT_DIR's value gets its own checkout's from a hit elsewhere", async (t) => {
  const { store, a, b } = twoCheckouts(t, OUT_DIR_READER);
  assertOk(t, await store.cargo(a, ['build'], { SPLITCACHE_SESSION: 'a' }), 'checkout A builds');
  rmSync(a, { recursive: true, force: true });
  assertOk(t, await store.cargo(b, ['build'], { SPLITCACHE_SESSION: 'b' }), 'checkout B builds');
  const printed = (await run(join(b, 'target', 'debug', 'reader'), [])).stdout;
  t.match(printed, new RegExp(`^5 ${b.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/target/debug/build/reader-[0-9a-f]+/out\ndata\n$`), `B's binary names B's OUT_DIR and reads its file (${printed.trim()})`);
  const events = await store.calls('b');
  t.same(events.filter((e) => e.crate === 'reader').map((e) => e.outcome), ['miss'], 'the bin misses');
  t.same(events.filter((e) => e.crateType === 'build-script').map((e) => e.outcome), ['hit'], 'its build script, which reads OUT_DIR at run time only, hits');
  const why = JSON.parse((await store.splitcache(['explain', 'reader', '--session', 'b', '--json'])).stdout) as { differences: { name: string }[] };
  t.ok(why.differences.some((d) => d.name === 'env-dep:OUT_DIR'), `explain names OUT_DIR (${why.differences.map((d) => d.name).join(', ')})`);
  rmSync(join(b, 'target'), { recursive: true, force: true });
  assertOk(t, await store.cargo(b, ['build'], { SPLITCACHE_SESSION: 'b2' }), 'B again from clean');
  t.same((await store.calls('b2')).map((e) => e.outcome), ['hit', 'hit'], 'hits in B itself');
});

// The same, where the code that pastes OUT_DIR comes from a generated file whose name is not *.rs.
const OUT_DIR_IN_INC = {
  'Cargo.toml': '[package]\nname = "incdir"\nversion = "0.1.0"\nedition = "2021"\n',
  'build.rs':
    'fn main() {\n    let out = std::env::var("OUT_DIR").unwrap();\n' +
    '    std::fs::write(format!("{out}/gen.inc"), "pub fn data_dir() -> &\'static str { env!(\\"OUT_DIR\\") }\\n").unwrap();\n}\n',
  'src/main.rs': 'include!(concat!(env!("OUT_DIR"), "/gen.inc"));\nfn main() { println!("{}", data_dir()); }\n',
};

t.test('a generated file include!()d under a name that is not *.rs, pasting OUT_DIR: a checkout elsewhere gets its own', async (t) => {
  const { store, a, b } = twoCheckouts(t, OUT_DIR_IN_INC);
  assertOk(t, await store.cargo(a, ['build'], { SPLITCACHE_SESSION: 'a' }), 'checkout A builds');
  assertOk(t, await store.cargo(b, ['build'], { SPLITCACHE_SESSION: 'b' }), 'checkout B builds');
  const printed = (await run(join(b, 'target', 'debug', 'incdir'), [])).stdout;
  t.ok(printed.startsWith(`${b}/target/debug/build/incdir-`), `B's binary names B's OUT_DIR (${printed.trim()})`);
  t.same((await store.calls('b')).filter((e) => e.crate === 'incdir').map((e) => e.outcome), ['miss'], 'the bin misses');
  rmSync(join(b, 'target'), { recursive: true, force: true });
  assertOk(t, await store.cargo(b, ['build'], { SPLITCACHE_SESSION: 'b2' }), 'B again from clean');
  t.same((await store.calls('b2')).map((e) => e.outcome), ['hit', 'hit'], 'hits in B itself');
});

t.test('-C instrument-coverage: a checkout elsewhere gets a binary whose coverage map names its own sources', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const coverage = { RUSTFLAGS: '-Cinstrument-coverage' };
  const a = copyFixture(join(tempDir('cov-a'), 'ws'));
  const b = copyFixture(join(tempDir('cov-b'), 'ws'));
  assertOk(t, await store.cargo(a, ['build'], { ...coverage, SPLITCACHE_SESSION: 'a' }), 'checkout A builds with coverage');

  // What B's binary must be: a plain coverage build in B, made in the same target dir.
  const plainEnv = { ...process.env, ...coverage, CARGO_INCREMENTAL: '0', RUSTC_WRAPPER: '' };
  assertOk(t, await run('cargo', ['build'], { cwd: b, env: plainEnv }), 'a plain coverage build in B');
  const plain = readFileSync(join(b, 'target', 'debug', 'fx-app'));
  t.ok(plain.includes(Buffer.from('__llvm_covmap')), 'the binary has a coverage map');
  assertOk(t, await run('cargo', ['clean'], { cwd: b, env: plainEnv }), 'cargo clean');

  const built = await store.cargo(b, ['build'], { ...coverage, SPLITCACHE_SESSION: 'b' });
  assertOk(t, built, 'checkout B builds with coverage');
  t.notMatch(built.stderr, /mangling/, 'with no word on symbol mangling: the split keeps the v0 that coverage implies');
  t.ok(readFileSync(join(b, 'target', 'debug', 'fx-app')).equals(plain), 'its binary is byte-identical to the plain one: A\'s paths are nowhere in it');
  const events = await store.calls('b');
  t.ok(events.length > 0 && events.every((e) => e.outcome === 'miss'), `every call of B missed (${events.length})`);

  assertOk(t, await store.cargo(b, ['clean']), 'cargo clean');
  assertOk(t, await store.cargo(b, ['build'], { ...coverage, SPLITCACHE_SESSION: 'b2' }), 'B again');
  const again = await store.calls('b2');
  t.ok(again.length > 0 && again.every((e) => e.outcome === 'hit'), `every call hits in the same directory (${again.length})`);
  t.ok(readFileSync(join(b, 'target', 'debug', 'fx-app')).equals(plain), 'and links the same binary');
});

// A crate that takes its docs from its README through CARGO_MANIFEST_DIR, as many do: the path
// only locates a file that is keyed by its digest, so it hits in another checkout; the README's
// text is still an input.
const README_DOCS = {
  'Cargo.toml': '[workspace]\nmembers = ["doclib", "app"]\nresolver = "2"\n',
  'doclib/Cargo.toml': '[package]\nname = "doclib"\nversion = "0.1.0"\nedition = "2021"\n',
  'doclib/README.md': 'The answer, documented.\n',
  'doclib/src/lib.rs': '#![doc = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))]\npub fn answer() -> u32 { 42 }\n',
  'app/Cargo.toml': '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\ndoclib = { path = "../doclib" }\n',
  'app/src/main.rs': 'fn main() { println!("{}", doclib::answer()); }\n',
};

t.test('include_str!() of the README through CARGO_MANIFEST_DIR hits in another checkout, and misses once the README changes', async (t) => {
  const { store, a, b } = twoCheckouts(t, README_DOCS);
  assertOk(t, await store.cargo(a, ['build'], { SPLITCACHE_SESSION: 'a' }), 'checkout A builds');
  rmSync(a, { recursive: true, force: true });
  assertOk(t, await store.cargo(b, ['build'], { SPLITCACHE_SESSION: 'b' }), 'checkout B builds');
  t.equal((await run(join(b, 'target', 'debug', 'app'), [])).stdout, '42\n', "B's binary runs");
  t.same((await store.calls('b')).map((e) => [e.crate, e.outcome]), [['doclib', 'hit'], ['app', 'hit']], 'every call hits in B (before: doclib missed on env-dep:CARGO_MANIFEST_DIR, and so the bin)');

  writeFileSync(join(b, 'doclib', 'README.md'), 'The answer, documented again.\n');
  rmSync(join(b, 'target'), { recursive: true, force: true });
  assertOk(t, await store.cargo(b, ['build'], { SPLITCACHE_SESSION: 'b2' }), 'B with another README');
  t.same((await store.calls('b2')).filter((e) => e.crate === 'doclib').map((e) => e.outcome), ['miss'], 'the README is an input: doclib misses');
});

// Two ways the package's dir reached the code of a crate that also took its README through
// CARGO_MANIFEST_DIR, which let its dir be normalised: a dependency's macro that pastes the
// variable (insta's assert_snapshot! finds its snapshots so), and code include!()d through it,
// whose spans name the file's absolute path (file!(), panic locations). A hit from another
// checkout printed the producer's dir in both; each now misses there and prints its own.
const MANIFEST_DIR_USES = {
  'Cargo.toml': '[workspace]\nmembers = ["helper", "app"]\nresolver = "2"\n',
  'helper/Cargo.toml': '[package]\nname = "helper"\nversion = "0.1.0"\nedition = "2021"\n',
  'helper/src/lib.rs': '#[macro_export]\nmacro_rules! fixture_dir { () => { concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures") } }\n',
  'app/Cargo.toml': '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nhelper = { path = "../helper" }\n',
  'app/README.md': 'The app.\n',
  'app/extra.rs': 'pub fn here() -> &\'static str { file!() }\n',
  'app/src/main.rs':
    '#![doc = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))]\n' +
    'mod extra { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/extra.rs")); }\n' +
    'fn main() { println!("{} {}", helper::fixture_dir!(), extra::here()); }\n',
};

t.test("a dependency's macro that pastes CARGO_MANIFEST_DIR, and code include!()d through it: a checkout elsewhere gets its own dir", async (t) => {
  const { store, a, b } = twoCheckouts(t, MANIFEST_DIR_USES);
  assertOk(t, await store.cargo(a, ['build'], { SPLITCACHE_SESSION: 'a' }), 'checkout A builds');
  assertOk(t, await store.cargo(b, ['build'], { SPLITCACHE_SESSION: 'b' }), 'checkout B builds');
  t.equal((await run(join(b, 'target', 'debug', 'app'), [])).stdout, `${b}/app/fixtures ${b}/app/extra.rs\n`, "B's binary names B's dir, as a plain build there does");
  t.same((await store.calls('b')).map((e) => [e.crate, e.outcome]), [['helper', 'hit'], ['app', 'miss']], 'the lib hits; the bin misses');

  // Each alone keeps the dir exact too.
  for (const [what, main] of [
    ["the dependency's macro", '#![doc = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))]\nfn main() { println!("{}", helper::fixture_dir!()); }\n'],
    ['code include!()d', '#![doc = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))]\nmod extra { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/extra.rs")); }\nfn main() { println!("{}", extra::here()); }\n'],
  ] as const) {
    writeFileSync(join(a, 'app', 'src', 'main.rs'), main);
    writeFileSync(join(b, 'app', 'src', 'main.rs'), main);
    const session = what.replace(/\W+/g, '-');
    assertOk(t, await store.cargo(a, ['build'], { SPLITCACHE_SESSION: `${session}-a` }), `${what}: A builds`);
    assertOk(t, await store.cargo(b, ['build'], { SPLITCACHE_SESSION: `${session}-b` }), `${what}: B builds`);
    t.match((await run(join(b, 'target', 'debug', 'app'), [])).stdout, new RegExp(`^${b}/app/`), `${what}: B's binary names B's dir`);
  }
});

// A hunting helper's: the variable spelled with an escape beside the README's include, and an
// include macro shadowed by one that pastes its argument. Each looked like the include form
// alone, so the dir was normalised, and B's binary printed A's dir (a package with no
// dependency: a dependency that names the variable keeps it exact anyway).
t.test("CARGO_MANIFEST_DIR spelled with an escape, or pasted by a shadowed include_str!: a checkout elsewhere gets its own dir", async (t) => {
  for (const [what, main] of [
    ['the name spelled with an escape', 'fn main() { println!("{}/", env!("CARGO_MANIFEST\\x5fDIR")); }\n'],
    ['include_str! shadowed', 'macro_rules! include_str { ($e:expr) => { $e } }\nfn main() { println!("{}", include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))); }\n'],
  ] as const) {
    const { store, a, b } = twoCheckouts(t, {
      'Cargo.toml': '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n',
      'README.md': 'The app.\n',
      'src/main.rs': `#![doc = ::core::include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))]\n${main}`,
    });
    assertOk(t, await store.cargo(a, ['build'], { SPLITCACHE_SESSION: 'a' }), `${what}: A builds`);
    assertOk(t, await store.cargo(b, ['build'], { SPLITCACHE_SESSION: 'b' }), `${what}: B builds`);
    t.match((await run(join(b, 'target', 'debug', 'app'), [])).stdout, new RegExp(`^${b}/`), `${what}: B's binary names B's dir`);
    t.same((await store.calls('b')).map((e) => [e.crate, e.outcome]), [['app', 'miss']], `${what}: a miss in B`);
  }
});

// A reviewing helper's: a dependency's macro that builds the name with concat!, whose rmeta
// holds `MANIFEST_DIR` but never `CARGO_MANIFEST_DIR`. B's binary printed A's dir.
t.test("a dependency's macro that reads CARGO_MANIFEST_DIR by a name built with concat!: a checkout elsewhere gets its own dir", async (t) => {
  const { store, a, b } = twoCheckouts(t, {
    ...MANIFEST_DIR_USES,
    'helper/src/lib.rs': '#[macro_export]\nmacro_rules! made_dir { () => { env!(concat!("CARGO_", "MANIFEST_DIR")) } }\n',
    'app/src/main.rs': '#![doc = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))]\nfn main() { println!("{}", helper::made_dir!()); }\n',
  });
  assertOk(t, await store.cargo(a, ['build'], { SPLITCACHE_SESSION: 'a' }), 'checkout A builds');
  assertOk(t, await store.cargo(b, ['build'], { SPLITCACHE_SESSION: 'b' }), 'checkout B builds');
  t.equal((await run(join(b, 'target', 'debug', 'app'), [])).stdout, `${b}/app\n`, "B's binary names B's dir, as a plain build there does");
  t.same((await store.calls('b')).map((e) => [e.crate, e.outcome]), [['helper', 'hit'], ['app', 'miss']], 'the lib hits; the bin misses');
});
