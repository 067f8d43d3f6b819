import t from 'tap';
import { join } from 'node:path';
import { assertOk, fileTree, run, Store } from './helpers.js';

// rustc writes a path under a `--remap-path-prefix` FROM as TO joined with the rest of the path
// as written: a file in the target dir keeps the target dir's own place below FROM. A checkout
// remapped to /build whose target dir is `out` has its OUT_DIR code at /build/out/…, one whose
// target dir is `target` at /build/target/…. Both were keyed alike (the target dir a placeholder),
// and a hit printed the other checkout's place.
const GEN = {
  'Cargo.toml': '[package]\nname = "gen"\nversion = "0.1.0"\nedition = "2021"\n',
  'build.rs': 'fn main() {\n  let out = std::env::var("OUT_DIR").unwrap();\n  std::fs::write(format!("{out}/at.rs"), "pub fn at() -> &\'static str { file!() }\\n").unwrap();\n}\n',
  'src/main.rs': 'include!(concat!(env!("OUT_DIR"), "/at.rs"));\nfn main() { println!("{}", at()); }\n',
};

t.test("a --remap-path-prefix of the checkout: OUT_DIR code names the target dir's own place below it", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const [a, b] = ['a', 'b'].map((n) => fileTree(GEN, `remap-tail-${n}`)) as [string, string];
  const env = (ws: string, target: string) => ({ RUSTFLAGS: `--remap-path-prefix=${ws}=/build`, CARGO_TARGET_DIR: join(ws, target) });
  assertOk(t, await store.cargo(a, ['build'], { ...env(a, 'target'), SPLITCACHE_SESSION: 'a' }), 'checkout A builds into target/');
  assertOk(t, await store.cargo(b, ['build'], { ...env(b, 'out'), SPLITCACHE_SESSION: 'b' }), 'checkout B builds into out/');
  const printed = (await run(join(b, 'out', 'debug', 'gen'), [])).stdout;
  t.match(printed, /^\/build\/out\/debug\/build\/gen-[0-9a-f]+\/out\/at\.rs\n$/, `B's binary names B's target dir, as plain cargo's does (old code: A's, /build/target/…; got ${printed.trim()})`);
});
