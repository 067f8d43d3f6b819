import t from 'tap';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, run, Store, tempDir } from './helpers.js';

// A source that names a file by absolute path reads that file from every checkout. Recorded
// under the checkout's placeholder, the path was expanded in another checkout to that
// checkout's own copy: a sibling checkout whose copy still matched hit, and served outputs
// built from content its rustc would not have read. Such a result is not stored now
// (`absolute-input`), while a path relocated by something the key moves with the checkout
// (CARGO_MANIFEST_DIR here) keeps its hits in another directory.

/** Two sibling checkouts of one crate whose main includes `include`, each with its own data.txt. */
function checkouts(include: (dir: string) => string): [string, string] {
  const root = tempDir('absinc');
  const dirs = ['a', 'b'].map((d) => join(root, d)) as [string, string];
  for (const dir of dirs) {
    mkdirSync(join(dir, 'src'), { recursive: true });
    writeFileSync(join(dir, 'Cargo.toml'), '[package]\nname = "absinc"\nversion = "0.1.0"\nedition = "2021"\n');
    writeFileSync(join(dir, 'src', 'main.rs'), `fn main() { print!("{}", include_str!(${include(dirs[0])})); }\n`);
    writeFileSync(join(dir, 'data.txt'), 'one');
  }
  // Dated back: a file younger than the digest memo's racy window is read again, as no checkout's are.
  const old = new Date(Date.now() - 60_000);
  for (const dir of dirs) for (const f of ['src/main.rs', 'data.txt', 'Cargo.toml']) utimesSync(join(dir, f), old, old);
  return dirs;
}

const binOutput = async (dir: string) => (await run(join(dir, 'target', 'debug', 'absinc'), [])).stdout;

t.test("a source naming a file by absolute path: another checkout's build prints the file it names", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const [a, b] = checkouts((first) => JSON.stringify(join(first, 'data.txt')));
  assertOk(t, await store.cargo(a, ['build']), 'the build in a');
  const [stored] = (await store.calls()).filter((c) => c.crate === 'absinc');
  t.equal(stored?.notStored, 'absolute-input', 'its result is not stored, and says why');
  writeFileSync(join(a, 'data.txt'), 'two');
  assertOk(t, await store.cargo(b, ['build']), 'the build in b');
  t.equal(await binOutput(b), 'two', "b's binary holds the file its source names, as plain cargo's does");
  t.not((await store.calls()).at(-1)?.outcome, 'hit', 'no hit');
});

t.test('a path through CARGO_MANIFEST_DIR follows the checkout, and hits in another one', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const [a, b] = checkouts(() => 'concat!(env!("CARGO_MANIFEST_DIR"), "/data.txt")');
  assertOk(t, await store.cargo(a, ['build']), 'the build in a');
  t.equal((await store.calls()).at(-1)?.notStored, undefined, 'stored');
  writeFileSync(join(a, 'data.txt'), 'two');
  assertOk(t, await store.cargo(b, ['build']), 'the build in b');
  t.equal((await store.calls()).at(-1)?.outcome, 'hit', "b's own data.txt is as a's was: a hit");
  t.equal(await binOutput(b), 'one', "and the binary holds b's own file");
});
