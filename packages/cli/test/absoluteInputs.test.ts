import t, { type Test } from 'tap';
import { mkdirSync, renameSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { assertOk, run, Store, tempDir } from './helpers.js';

// A source that names a file by absolute path reads that file from every checkout. Recorded
// under the checkout's placeholder, the path was expanded in another checkout to that
// checkout's own copy: a sibling checkout whose copy still matched hit, and served outputs
// built from content its rustc would not have read. An input whose path a text names (a
// source, a dependency's macro, a file copied into OUT_DIR) is now recorded as it is too, so
// both files must be alike (daemon/checkoutInSource.ts); a crate whose own source holds the
// checkout's path beside an input no text names whole is not stored (`absolute-input`). A path
// made from the checkout it is built in (CARGO_MANIFEST_DIR, a proc-macro's) keeps its hits in
// another directory.

/** Two sibling checkouts of one tree (path → text), `{a}` in a text standing for the first one's path, `{root}` for their parent's. */
function checkouts(files: Record<string, string>): [string, string] {
  const root = tempDir('absinc');
  const dirs = ['a', 'b'].map((d) => join(root, d)) as [string, string];
  // Dated back: a file younger than the digest memo's racy window is read again, as no checkout's are.
  const old = new Date(Date.now() - 60_000);
  for (const dir of dirs) {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text.replaceAll('{a}', dirs[0]).replaceAll('{root}', root));
      utimesSync(join(dir, path), old, old);
    }
  }
  return dirs;
}

const PKG = '[package]\nname = "absinc"\nversion = "0.1.0"\nedition = "2021"\n';
const binOutput = async (dir: string, bin = 'absinc') => (await run(join(dir, 'target', 'debug', bin), [])).stdout;

/** Builds in a, makes a's data.txt `two`, builds in b: b's binary must print what its rustc read. */
async function siblingBuilds(t: Test, files: Record<string, string>, expectStored: boolean) {
  const store = new Store();
  t.teardown(() => store.stop());
  const [a, b] = checkouts(files);
  assertOk(t, await store.cargo(a, ['build']), 'the build in a');
  const stored = (await store.calls()).filter((c) => c.crate === 'absinc').at(-1);
  t.equal(stored?.notStored, expectStored ? undefined : 'absolute-input', expectStored ? 'its result is stored' : 'its result is not stored, and says why');
  writeFileSync(join(a, 'data.txt'), 'two');
  assertOk(t, await store.cargo(b, ['build']), 'the build in b');
  return { store, a, b };
}

t.test("a source naming a file by absolute path: another checkout's build prints the file it names", async (t) => {
  const { store, a, b } = await siblingBuilds(t, { 'Cargo.toml': PKG, 'data.txt': 'one', 'src/main.rs': 'fn main() { print!("{}", include_str!("{a}/data.txt")); }\n' }, true);
  t.equal(await binOutput(b), 'two', "b's binary holds the file its source names, as plain cargo's does");
  t.not((await store.calls()).at(-1)?.outcome, 'hit', 'no hit');
  writeFileSync(join(b, 'data.txt'), 'two');
  assertOk(t, await run('cargo', ['clean', '-q'], { cwd: b }));
  assertOk(t, await store.cargo(b, ['build']), 'b again, from clean, its own copy now as the named file');
  t.equal((await store.calls()).at(-1)?.outcome, 'hit', 'a hit: both files are as they were when it was stored');
  t.equal(await binOutput(b), 'two');
  writeFileSync(join(a, 'data.txt'), 'three');
  assertOk(t, await store.cargo(b, ['build']), 'b again, the named file changed');
  t.equal(await binOutput(b), 'three', "cargo saw the change: the hit's dep-info names the file as it is");
});

t.test('the same beside the README idiom, whose CARGO_MANIFEST_DIR follows the checkout', async (t) => {
  const { a, b } = await siblingBuilds(t, {
    'Cargo.toml': PKG, 'data.txt': 'one', 'README.md': '# absinc\n',
    'src/main.rs': '#![doc = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))]\nfn main() { print!("{}", include_str!("{a}/data.txt")); }\n',
  }, false);
  t.equal(await binOutput(b), 'two', "b's binary holds the file its source names (a helper's repro: it printed a's old one)");
  // Its own checkout again, with a store of its own: the same key, its result not stored before either.
  const own = new Store();
  t.teardown(() => own.stop());
  assertOk(t, await own.cargo(a, ['build']), 'a in a store of its own');
  assertOk(t, await run('cargo', ['clean', '-q'], { cwd: a }));
  assertOk(t, await own.cargo(a, ['build']), 'and again, from clean');
  t.same((await own.calls()).filter((c) => c.crate === 'absinc').map((c) => c.outcome), ['miss', 'miss'], 'a miss each time');
  const why = await own.splitcache(['explain', 'absinc']);
  t.match(why.stdout, /not stored:\s+its own source names this checkout's absolute path.*CARGO_MANIFEST_DIR/, `explain says why, and what to do: ${why.stdout}`);
});

t.test('the same where a build script names the package dir to the linker (-L native=)', async (t) => {
  const { b } = await siblingBuilds(t, {
    'Cargo.toml': PKG, 'data.txt': 'one',
    'build.rs': 'fn main() { println!("cargo:rustc-link-search=native={}", std::env::var("CARGO_MANIFEST_DIR").unwrap()); }\n',
    'src/main.rs': 'fn main() { print!("{}", include_str!("{a}/data.txt")); }\n',
  }, true);
  t.equal(await binOutput(b), 'two', "b's binary holds the file its source names");
});

t.test("the same from a workspace crate's macro_rules! (a helper's repro: b hit and printed a's old file)", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const [a, b] = checkouts({
    'Cargo.toml': '[workspace]\nmembers = ["paths", "app"]\nresolver = "2"\n',
    'paths/Cargo.toml': '[package]\nname = "paths"\nversion = "0.1.0"\nedition = "2021"\n',
    'paths/src/lib.rs': '#[macro_export]\nmacro_rules! data { () => { include_str!("{a}/data.txt") } }\n',
    'app/Cargo.toml': '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n[dependencies]\npaths = { path = "../paths" }\n',
    'app/src/main.rs': 'fn main() { print!("{}", paths::data!()); }\n',
    'data.txt': 'one',
  });
  assertOk(t, await store.cargo(a, ['build']), 'the build in a');
  writeFileSync(join(a, 'data.txt'), 'two');
  assertOk(t, await store.cargo(b, ['build']), 'the build in b');
  t.equal(await binOutput(b, 'app'), 'two', "b's binary holds the file the macro names");
});

t.test('the same through a [env] value in .cargo/config.toml (a helper\'s repro: b printed a\'s old file)', async (t) => {
  const { b } = await siblingBuilds(t, {
    'Cargo.toml': PKG, 'data.txt': 'one', '.cargo/config.toml': '[env]\nDATA_FILE = "{a}/data.txt"\n',
    'src/main.rs': 'fn main() { print!("{}", include_str!(env!("DATA_FILE"))); }\n',
  }, true);
  t.equal(await binOutput(b), 'two', "b's binary holds the file the value names");
});

t.test('the same from a macro behind a re-export, and split across literals in a workspace member', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const [a, b] = checkouts({
    'Cargo.toml': '[workspace]\nmembers = ["c", "facade", "app", "split"]\nresolver = "2"\n',
    'c/Cargo.toml': '[package]\nname = "c"\nversion = "0.1.0"\nedition = "2021"\n',
    'c/src/lib.rs': '#[macro_export]\nmacro_rules! data { () => { include_str!("{a}/data.txt") } }\n',
    'facade/Cargo.toml': '[package]\nname = "facade"\nversion = "0.1.0"\nedition = "2021"\n[dependencies]\nc = { path = "../c" }\n',
    'facade/src/lib.rs': 'pub use c::data;\n',
    'app/Cargo.toml': '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n[dependencies]\nfacade = { path = "../facade" }\n',
    'app/src/main.rs': 'fn main() { print!("{}", facade::data!()); }\n',
    'split/Cargo.toml': '[package]\nname = "split"\nversion = "0.1.0"\nedition = "2021"\n',
    'split/src/main.rs': 'fn main() { print!("{}", include_str!(concat!("{a}", "/split/data.txt"))); }\n',
    'split/data.txt': 'one',
    'data.txt': 'one',
  });
  assertOk(t, await store.cargo(a, ['build']), 'the build in a');
  t.equal((await store.calls()).find((c) => c.crate === 'split')?.notStored, undefined, "the split literal's crate is stored: nothing names its input's place, so it is recorded as it is too");
  writeFileSync(join(a, 'data.txt'), 'two');
  writeFileSync(join(a, 'split', 'data.txt'), 'two');
  assertOk(t, await store.cargo(b, ['build']), 'the build in b');
  t.equal(await binOutput(b, 'app'), 'two', "b's app holds the file the re-exported macro names");
  t.equal(await binOutput(b, 'split'), 'two', "b's split holds the file its split literal names");
});

t.test('the same from a file a build script copies into OUT_DIR as it is', async (t) => {
  const { b } = await siblingBuilds(t, {
    'Cargo.toml': PKG, 'data.txt': 'one',
    'build.rs': 'fn main() { std::fs::copy("inc.rs.in", format!("{}/inc.rs", std::env::var("OUT_DIR").unwrap())).unwrap(); println!("cargo:rerun-if-changed=inc.rs.in"); }\n',
    'inc.rs.in': 'fn main() { print!("{}", include_str!("{a}/data.txt")); }\n',
    'src/main.rs': 'include!(concat!(env!("OUT_DIR"), "/inc.rs"));\n',
  }, true);
  t.equal(await binOutput(b), 'two', "b's binary holds the file the copied source names");
});

// Beside the README idiom (CARGO_MANIFEST_DIR names the package's place, so its inputs are recorded
// under its placeholder), a fixed path no text holds whole: a literal split inside the checkout's
// own path, a [env] value naming the checkout's directory, a file copied into OUT_DIR holding a
// split literal, a dependency's macro_rules! holding one. Each gave b a hit with a's old file (a
// helper's repros, against the rule before): every such input is now also checked at its path as
// it was, where a file is there (daemon/nearInputs.ts).
const README = '#![doc = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))]\n';
const FIXED_PATHS: Record<string, Record<string, string>> = {
  'a literal split inside the checkout\'s path': { 'src/main.rs': `${README}fn main() { print!("{}", include_str!(concat!("{root}/", "a/data.txt"))); }\n` },
  "a [env] value naming the checkout's directory": {
    '.cargo/config.toml': '[env]\nDATA_DIR = "{a}"\n',
    'src/main.rs': `${README}fn main() { print!("{}", include_str!(concat!(env!("DATA_DIR"), "/data.txt"))); }\n`,
  },
  'a split literal in a file a build script copies into OUT_DIR': {
    'build.rs': 'fn main() { std::fs::copy("inc.rs.in", format!("{}/inc.rs", std::env::var("OUT_DIR").unwrap())).unwrap(); println!("cargo:rerun-if-changed=inc.rs.in"); }\n',
    'inc.rs.in': 'fn main() { print!("{}", include_str!(concat!("{a}", "/data.txt"))); }\n',
    'src/main.rs': `${README}include!(concat!(env!("OUT_DIR"), "/inc.rs"));\n`,
  },
  "a split literal in a dependency's macro_rules!": {
    'Cargo.toml': `${PKG}[dependencies]\nm = { path = "m" }\n`,
    'm/Cargo.toml': '[package]\nname = "m"\nversion = "0.1.0"\nedition = "2021"\n',
    'm/src/lib.rs': '#[macro_export]\nmacro_rules! data { () => { include_str!(concat!("{a}", "/data.txt")) } }\n',
    'src/main.rs': `${README}fn main() { print!("{}", m::data!()); }\n`,
  },
};
for (const [shape, files] of Object.entries(FIXED_PATHS)) {
  t.test(`beside the README idiom, ${shape}: another checkout's build prints the file it names`, async (t) => {
    const { b } = await siblingBuilds(t, { 'Cargo.toml': PKG, 'data.txt': 'one', 'README.md': '# absinc\n', ...files }, true);
    t.equal(await binOutput(b), 'two', "b's binary holds the file a's path names, as plain cargo's does");
  });
}

// Such an input is checked at a's path too while a's file is there (the cost of the rule above):
// b hits where both files are alike, and where a is gone (another machine, a checkout moved away).
t.test('a path through CARGO_MANIFEST_DIR follows the checkout, and hits in another one where both files are alike or the first is gone', async (t) => {
  const { store, a, b } = await siblingBuilds(t, { 'Cargo.toml': PKG, 'data.txt': 'one', 'src/main.rs': 'fn main() { print!("{}", include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/data.txt"))); }\n' }, true);
  t.equal((await store.calls()).at(-1)?.outcome, 'miss', "a's file differs from b's now: a miss");
  t.equal(await binOutput(b), 'one', "and the binary holds b's own file");
  const again = async (what: string) => {
    assertOk(t, await run('cargo', ['clean', '-q'], { cwd: b }));
    assertOk(t, await store.cargo(b, ['build']), what);
    t.equal((await store.calls()).at(-1)?.outcome, 'hit', `${what}: a hit`);
    t.equal(await binOutput(b), 'one', "with b's own file");
  };
  writeFileSync(join(a, 'data.txt'), 'one');
  await again('b from clean, both files alike');
  renameSync(a, `${a}-moved`);
  await again('b from clean, a moved away');
});

// A proc-macro that embeds a file by the absolute path it makes from CARGO_MANIFEST_DIR, as pest's
// grammars, askama's templates and include_dir do: the first rule refused such crates for good.
const PM = {
  'Cargo.toml': '[workspace]\nmembers = ["pm", "app"]\nresolver = "2"\n',
  'pm/Cargo.toml': '[package]\nname = "pm"\nversion = "0.1.0"\nedition = "2021"\n[lib]\nproc-macro = true\n',
  'pm/src/lib.rs': [
    'use proc_macro::TokenStream;',
    '#[proc_macro]',
    'pub fn embed(input: TokenStream) -> TokenStream {',
    '    let name = input.to_string();',
    '    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap();',
    '    format!("include_str!({:?})", format!("{}/{}", dir, name.trim_matches(\'"\'))).parse().unwrap()',
    '}',
  ].join('\n'),
  'app/Cargo.toml': '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n[dependencies]\npm = { path = "../pm" }\n',
  'app/src/main.rs': 'fn main() { print!("{}", pm::embed!("grammar.txt")); }\n',
  'app/grammar.txt': 'one',
};

t.test("a proc-macro's absolute include made from the checkout it expands in: stored, and another checkout hits with its own", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const [a, b] = checkouts(PM);
  assertOk(t, await store.cargo(a, ['build']), 'the build in a');
  t.equal((await store.calls()).find((c) => c.crate === 'app')?.notStored, undefined, "app's result is stored");
  assertOk(t, await store.cargo(b, ['build']), 'the build in b');
  t.same((await store.calls()).slice(-2).map((c) => c.outcome), ['hit', 'hit'], 'both crates hit in b');
  t.equal(await binOutput(b, 'app'), 'one', "b's binary holds b's file");
  writeFileSync(join(b, 'app', 'grammar.txt'), 'two');
  assertOk(t, await store.cargo(b, ['build']), 'b again, its file changed');
  t.equal(await binOutput(b, 'app'), 'two', 'and it gets the change');
});
