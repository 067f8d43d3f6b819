import t from 'tap';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { assertOk, run, Store, tempDir } from './helpers.js';

// An input under the checkout recorded under its placeholder alone is checked at its path as it
// was too (daemon/nearInputs.ts): what is there on the looking machine decides. Two of those
// checks no test held (a mutation audit's survivors): something other than a file there, and a
// hit's dep-info naming that path only where a file is there.

/** Two sibling checkouts of one tree, `{root}` in a text standing for their parent's path; dated back, out of the racy window. */
function checkouts(files: Record<string, string>): [string, string] {
  const root = tempDir('nearin');
  const dirs = ['a', 'b'].map((d) => join(root, d)) as [string, string];
  const old = new Date(Date.now() - 60_000);
  for (const dir of dirs) {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text.replaceAll('{root}', root));
      utimesSync(join(dir, path), old, old);
    }
  }
  return dirs;
}

const PKG = '[package]\nname = "nearin"\nversion = "0.1.0"\nedition = "2021"\n';
const README = '#![doc = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))]\n';

t.test("a directory where the first checkout's file was: another checkout's build fails as plain cargo's does, not a hit", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  // A literal split inside a's path beside the README idiom: recorded under the placeholder, and as it was.
  const [a, b] = checkouts({
    'Cargo.toml': PKG, 'data.txt': 'one', 'README.md': '# nearin\n',
    'src/main.rs': `${README}fn main() { print!("{}", include_str!(concat!("{root}/", "a/data.txt"))); }\n`,
  });
  assertOk(t, await store.cargo(a, ['build']), 'the build in a');
  t.equal((await store.calls()).filter((c) => c.crate === 'nearin').at(-1)?.notStored, undefined, 'its result is stored');
  rmSync(join(a, 'data.txt'));
  mkdirSync(join(a, 'data.txt'));
  const r = await store.cargo(b, ['build']);
  t.not(r.code, 0, "b's build fails: its rustc reads a's data.txt, a directory now");
  t.match(r.stderr, /data\.txt/, 'naming the file');
  t.not((await store.calls()).filter((c) => c.crate === 'nearin').at(-1)?.outcome, 'hit', 'no hit');
});

t.test("the first checkout gone: a hit's dep-info does not name its path, and the next build is fresh", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const [a, b] = checkouts({ 'Cargo.toml': PKG, 'data.txt': 'one', 'src/main.rs': 'fn main() { print!("{}", include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/data.txt"))); }\n' });
  assertOk(t, await store.cargo(a, ['build']), 'the build in a');
  renameSync(a, `${a}-moved`);
  assertOk(t, await store.cargo(b, ['build']), 'the build in b, a moved away');
  const calls = await store.calls();
  t.equal(calls.at(-1)?.outcome, 'hit', 'a hit');
  const deps = join(b, 'target', 'debug', 'deps');
  const depInfo = readdirSync(deps).filter((f) => /^nearin-.*\.d$/.test(f)).map((f) => readFileSync(join(deps, f), 'utf8')).join('');
  t.match(depInfo, /data\.txt/, "the dep-info names b's data.txt");
  t.notMatch(depInfo, new RegExp(`${a}/`), "and not a's path, where no file is");
  const again = await store.cargo(b, ['build']);
  assertOk(t, again, 'b again, nothing changed');
  t.equal((await store.calls()).length, calls.length, `cargo finds the crate fresh: no call (${again.stderr.trim()})`);
});
