import t from 'tap';
import { assertOk, fileTree, Store } from './helpers.js';

// A warning that names a file by its absolute path (one include!()d from OUT_DIR): a hit in
// another checkout must print that checkout's path, as its own rustc would, never a placeholder
// nor the producer's. Nothing held the expansion of a replayed stderr (a mutation audit's survivor).

const FILES = {
  'Cargo.toml': '[package]\nname = "warns"\nversion = "0.1.0"\nedition = "2021"\n',
  'build.rs':
    'fn main() {\n    let out = std::env::var("OUT_DIR").unwrap();\n' +
    '    std::fs::write(std::path::Path::new(&out).join("gen.rs"), "pub fn answer() -> u32 { let unused = 1; 42 }\\n").unwrap();\n}\n',
  'src/lib.rs': 'include!(concat!(env!("OUT_DIR"), "/gen.rs"));\n',
};

t.test("a hit in another checkout prints a warning with that checkout's own absolute path", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const a = fileTree(FILES, 'warn-a');
  const b = fileTree(FILES, 'warn-b');
  const first = await store.cargo(a, ['build'], { SPLITCACHE_SESSION: 'a' });
  assertOk(t, first, 'checkout A builds');
  t.match(first.stderr, new RegExp(`${a}/target/debug/build/warns-[0-9a-f]+/out/gen\\.rs`), "A's warning names A's generated file");
  const r = await store.cargo(b, ['build'], { SPLITCACHE_SESSION: 'b' });
  assertOk(t, r, 'checkout B builds');
  t.same((await store.calls('b')).map((e) => `${e.crateType} ${e.outcome}`).sort(), ['build-script hit', 'lib hit'], 'from hits');
  t.match(r.stderr, new RegExp(`${b}/target/debug/build/warns-[0-9a-f]+/out/gen\\.rs`), "B's warning names B's generated file");
  t.notMatch(r.stderr, /@@sc:/, 'no placeholder');
  t.notOk(r.stderr.includes(a), "nor A's path");
});
