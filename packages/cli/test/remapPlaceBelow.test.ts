import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, copyFixture, fileTree, run, Store, tempDir } from './helpers.js';

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

// The same for the checkout: a FROM above it (`--remap-path-prefix=$HOME=/build`) writes the
// checkout's own name in debuginfo (its working dir, /build/ws-a). Checkouts beside each other
// were one key, and B's binary named A.
t.test('a --remap-path-prefix above the checkout: the debuginfo names the checkout\'s own place below it', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const base = tempDir('remap-above');
  const [a, b] = ['ws-a', 'ws-b'].map((n) => copyFixture(join(base, n))) as [string, string];
  const env = { RUSTFLAGS: `--remap-path-prefix=${base}=/build`, CARGO_PROFILE_DEV_DEBUG: '1' };
  assertOk(t, await store.cargo(a, ['build'], { ...env, SPLITCACHE_SESSION: 'a' }), 'checkout A builds');
  assertOk(t, await store.cargo(b, ['build'], { ...env, SPLITCACHE_SESSION: 'b' }), 'checkout B builds');
  // Each crate's debuginfo names its checkout: a proc-macro (a dylib) or build script that hit A's named A.
  const named = (dir: string) => readdirSync(dir).filter((f) => /\.so$|^build_script_build-[0-9a-f]+$/.test(f) && readFileSync(join(dir, f)).includes(Buffer.from('/build/ws-a')));
  const deps = join(b, 'target', 'debug', 'deps');
  const scripts = readdirSync(join(b, 'target', 'debug', 'build')).map((d) => join(b, 'target', 'debug', 'build', d));
  t.same([deps, ...scripts].flatMap(named), [], "none of B's artifacts names A (old code: fx-derive's .so hit A's entry and named it)");
  const bin = readFileSync(join(b, 'target', 'debug', 'fx-app'));
  t.ok(bin.includes(Buffer.from('/build/ws-b')) && !bin.includes(Buffer.from('/build/ws-a')), "B's binary names /build/ws-b, as plain cargo's does, not A");
});
