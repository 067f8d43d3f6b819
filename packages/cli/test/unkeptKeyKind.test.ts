import t from 'tap';
import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, fileTree, Store } from './helpers.js';

/** Every blob file of the store. */
const blobsOf = (store: Store) => {
  const dir = join(store.dir, 'blobs');
  return readdirSync(dir)
    .filter((d) => d !== 'tmp')
    .flatMap((d) => readdirSync(join(dir, d)).map((f) => join(dir, d, f)));
};

// An entry evicted since keeps no key parts: explain counts the crate's other keys stored before
// the miss, of its kind. Counted with the lib's, a first test build whose entry verify evicted was
// told "which part differs from the key of its one earlier entry can't be told" (a review's finding).
t.test("a first test build whose entry was evicted since: a first build, the lib's entry before it not counted", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = fileTree({ 'Cargo.toml': '[package]\nname = "kinds"\nversion = "0.1.0"\nedition = "2021"\n', 'src/lib.rs': 'pub fn f() -> u32 { 1 }\n#[test]\nfn t() { assert_eq!(f(), 1); }\n' }, 'unkept-kind');
  assertOk(t, await store.cargo(ws, ['build', '--lib'], { SPLITCACHE_SESSION: 'lib' }), 'the lib is stored');
  const before = new Set(blobsOf(store));
  assertOk(t, await store.cargo(ws, ['test', '--lib', '--no-run'], { SPLITCACHE_SESSION: 'test' }), 'then its unit tests');
  const victim = blobsOf(store).filter((f) => !before.has(f)).sort((a, b) => statSync(b).size - statSync(a).size)[0];
  t.ok(victim, "the test build's own blobs");
  const bytes = readFileSync(victim!);
  const mid = bytes.length >> 1;
  bytes[mid] = bytes[mid]! ^ 0x10;
  chmodSync(victim!, 0o644);
  writeFileSync(victim!, bytes);
  const verify = JSON.parse((await store.splitcache(['audit', 'verify', '--json'])).stdout) as { entriesEvicted: number };
  t.equal(verify.entriesEvicted, 1, "verify evicts the test build's entry");
  const why = JSON.parse((await store.splitcache(['explain', 'kinds', '--type', 'test', '--session', 'test', '--json'])).stdout) as { verdict: string; others?: number };
  t.same([why.verdict, why.others], ['first-build', undefined], "a first build: the lib's entry is of another kind");
});
