import t from 'tap';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, fileTree, run, Store, tempDir } from './helpers.js';

// Outputs over 1 MiB (a 3 MB rlib, a bin's one object) are copied by the
// kernel and digested as they are read back: into the blob dir when stored,
// out of it, verified, when replayed (store's copyThenDigest.ts). The
// fixture's outputs are all smaller.

const N = 3000;

/** A lib of N small functions and a bin calling each through a function of its own, in one codegen unit. */
function largeWorkspace(): string {
  const fns = Array.from({ length: N }, (_, i) => `pub fn f${i}(x: u64) -> u64 { x.wrapping_mul(${i}).rotate_left(${i % 63}) ^ ${i} }\n`);
  const wrappers = Array.from({ length: N }, (_, i) => `fn g${i}(x: u64) -> u64 { big::f${i}(x).wrapping_add(${i}) }\n`);
  const calls = Array.from({ length: N }, (_, i) => `    x = g${i}(x);\n`);
  return fileTree(
    {
      'Cargo.toml': '[workspace]\nmembers = ["big", "app"]\nresolver = "2"\n[profile.dev]\ncodegen-units = 1\n',
      'big/Cargo.toml': '[package]\nname = "big"\nversion = "0.1.0"\nedition = "2021"\n',
      'app/Cargo.toml': '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n[dependencies]\nbig = { path = "../big" }\n',
      'big/src/lib.rs': fns.join(''),
      'app/src/main.rs': `${wrappers.join('')}fn main() {\n    let mut x = 1u64;\n${calls.join('')}    println!("sum={}", x);\n}\n`,
    },
    'large',
  );
}

/** Every blob's path and size. */
function blobSizes(store: Store): { path: string; size: number }[] {
  const root = join(store.dir, 'blobs');
  return readdirSync(root)
    .filter((s) => /^[0-9a-f]{2}$/.test(s))
    .flatMap((s) => readdirSync(join(root, s)).map((n) => join(root, s, n)))
    .map((path) => ({ path, size: statSync(path).size }));
}

const leftovers = (ws: string) => readdirSync(join(ws, 'target/debug/deps')).filter((n) => n.includes('.sc-'));
const rlibOf = (target: string) => join(target, 'debug/deps', readdirSync(join(target, 'debug/deps')).find((n) => n.startsWith('libbig-') && n.endsWith('.rlib'))!);

t.test('large outputs: stored, replayed byte-identical, and a corrupt one is a miss that leaves nothing behind', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = largeWorkspace();
  const plainTarget = tempDir('large-plain');
  assertOk(t, await run('cargo', ['build', '--offline', '--target-dir', plainTarget], { cwd: ws, env: { ...process.env, CARGO_INCREMENTAL: '0', RUSTC_WRAPPER: '' } }), 'the plain build');
  const plainBin = readFileSync(join(plainTarget, 'debug/app'));
  const plainRlib = readFileSync(rlibOf(plainTarget));
  t.ok(plainRlib.length > 1 << 20, `the rlib is over 1 MiB (${plainRlib.length} bytes)`);

  assertOk(t, await store.cargo(ws, ['build', '--offline']), 'the cold build');
  t.ok(readFileSync(join(ws, 'target/debug/app')).equals(plainBin), 'the bin (miss) matches the plain build');
  const sizes = blobSizes(store);
  t.ok(sizes.some((b) => b.size === plainRlib.length), 'the rlib is stored whole');
  t.ok(sizes.filter((b) => b.size > 1 << 20).length >= 2, 'so is the bin\'s object, over 1 MiB too');
  t.same(readdirSync(join(store.dir, 'blobs/tmp')), [], 'no temp blob is left');

  await store.cargo(ws, ['clean']);
  assertOk(t, await store.cargo(ws, ['build', '--offline']), 'the warm build');
  const warm = await store.stats();
  t.same({ hits: warm.hits, misses: warm.misses }, { hits: 2, misses: 2 }, 'both crates hit');
  t.ok(readFileSync(rlibOf(join(ws, 'target'))).equals(plainRlib), 'the replayed rlib is byte-identical');
  t.ok(readFileSync(join(ws, 'target/debug/app')).equals(plainBin), 'the bin linked from replayed objects matches the plain build');
  t.same(leftovers(ws), [], 'no temp copy is left beside the outputs');

  // One bit flipped in the middle of the rlib's blob: that hit becomes a miss, and the build is right.
  const blob = sizes.find((b) => b.size === plainRlib.length)!;
  const bad = readFileSync(blob.path);
  bad[bad.length >> 1] = bad[bad.length >> 1]! ^ 1;
  rmSync(blob.path);
  writeFileSync(blob.path, bad);
  await store.cargo(ws, ['clean']);
  const overBad = await store.cargo(ws, ['build', '--offline']);
  assertOk(t, overBad, 'the build over a corrupt blob');
  t.equal(overBad.stderr.match(/splitcache: SPLITCACHE_BLOB_CORRUPT: .*\(the entry of \S+ is evicted; compiling it again\)\n/g)?.length, 1, 'says so in one line');
  t.ok((await store.stats()).errors.SPLITCACHE_BLOB_CORRUPT! >= 1, 'the corrupt blob is counted');
  t.ok(readFileSync(rlibOf(join(ws, 'target'))).equals(plainRlib), 'the rlib is compiled again, right');
  t.ok(readFileSync(join(ws, 'target/debug/app')).equals(plainBin), 'and so is the bin');
  t.same(leftovers(ws), [], 'the bad copy is removed');
  const printed = (await run(join(plainTarget, 'debug/app'), [])).stdout;
  t.match(printed, /^sum=\d+\n$/);
  t.equal((await run(join(ws, 'target/debug/app'), [])).stdout, printed, 'and it prints what the plain build prints');
  // The bad blob went with it, so the miss stored the rlib anew: before, a write of its digest left
  // the bad file there, and every later build missed the crate the same way until `audit verify`.
  t.ok(readFileSync(blob.path).equals(plainRlib), 'the miss stored the blob anew');
  await store.cargo(ws, ['clean']);
  const hitsBefore = (await store.stats()).hits;
  assertOk(t, await store.cargo(ws, ['build', '--offline']), 'the build after');
  t.equal((await store.stats()).hits - hitsBefore, 2, 'hits both crates again');
});
