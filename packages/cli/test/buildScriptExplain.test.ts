import t from 'tap';
import { assertOk, fileTree, Store } from './helpers.js';

// Every build script's crate is build_script_build. Built from its own root, as cargo builds a
// registry crate (the package its cwd, `build.rs` its root source), one package's build script is
// of the same kind as another's: only its CARGO_PKG_NAME tells them apart. Workspace members name
// theirs by their dirs (`first/build.rs`), so audit.test's two members never reached that check.
t.test("a package's first build script, built from its own root, is a first build: not compared with another package's", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const pkg = (name: string) =>
    fileTree(
      {
        'Cargo.toml': `[package]\nname = "${name}"\nversion = "0.1.0"\nedition = "2021"\n`,
        'build.rs': 'fn main() { println!("cargo:rerun-if-changed=build.rs"); }\n',
        'src/lib.rs': 'pub fn f() {}\n',
      },
      name,
    );
  assertOk(t, await store.cargo(pkg('first'), ['build']), 'one package builds');
  assertOk(t, await store.cargo(pkg('second'), ['build']), 'then another, from a root of its own');
  const r = await store.splitcache(['explain', 'second', '--type', 'build-script', '--json']);
  assertOk(t, r, 'explain runs');
  const why = JSON.parse(r.stdout) as { pkg?: string; verdict: string; comparedWith?: string };
  t.same([why.pkg, why.verdict, why.comparedWith], ['second', 'first-build', undefined], "its first build, not a key that differs from first's build script");
});
