import t from 'tap';
import { cpSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, fileTree, run, Store } from './helpers.js';

// What rustc printed on stdout (a proc-macro's println! as it expands) is stored with the
// checkout's path normalised, and a hit prints it with the caller's path put back. With the
// replay's expansion of stdout gone, every test passed (a mutation audit's survivor) while a
// hit printed the placeholder in place of the path.

const WS = {
  'Cargo.toml': '[workspace]\nmembers = ["pm", "app"]\nresolver = "2"\n',
  'pm/Cargo.toml': '[package]\nname = "pm"\nversion = "0.1.0"\nedition = "2021"\n[lib]\nproc-macro = true\n',
  'pm/src/lib.rs': [
    'use proc_macro::TokenStream;',
    '#[proc_macro]',
    'pub fn hello(_: TokenStream) -> TokenStream {',
    '    println!("pm expands in {}", std::env::current_dir().unwrap().display());',
    '    "fn main() { println!(\\"hello\\"); }".parse().unwrap()',
    '}',
  ].join('\n'),
  'app/Cargo.toml': '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n[dependencies]\npm = { path = "../pm" }\n',
  'app/src/main.rs': 'pm::hello!();\n',
};

t.test("a hit prints what its rustc printed on stdout, with the caller's own path", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const a = realpathSync(fileTree(WS, 'stdout'));
  const first = await store.cargo(a, ['build']);
  assertOk(t, first, 'the build in a');
  t.match(first.stdout, `pm expands in ${a}\n`, "the macro's line, as rustc printed it");
  t.equal((await store.calls()).find((c) => c.crate === 'app')?.notStored, undefined, "app's result is stored");
  assertOk(t, await run('cargo', ['clean', '-q', '-p', 'app'], { cwd: a }));
  const again = await store.cargo(a, ['build']);
  assertOk(t, again, 'a again, app from clean');
  t.equal((await store.calls()).at(-1)?.outcome, 'hit', 'a hit');
  t.equal(again.stdout, first.stdout, 'it prints the same line');
  const b = realpathSync(fileTree({}, 'stdout'));
  cpSync(a, b, { recursive: true, filter: (src) => !src.endsWith('/target') });
  const other = await store.cargo(b, ['build']);
  assertOk(t, other, 'the build in another checkout');
  t.same((await store.calls()).slice(-2).map((c) => c.outcome), ['hit', 'hit'], 'both crates hit');
  t.equal(other.stdout, `pm expands in ${b}\n`, "the line names that checkout's path");
});
