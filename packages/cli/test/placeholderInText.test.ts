import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, fileTree, run, Store } from './helpers.js';

// Text a crate prints or records that already has a placeholder's form in it (`@@sc:cwd@@` in a
// deprecation note, in an env!() value): a hit expanded it into the checkout's path, which plain
// rustc never prints. Its dep-info then named the env-dep's value so, cargo found the variable
// changed, and the crate was compiled again on every build (a mutation audit's repro).

const FILES = {
  'Cargo.toml': '[package]\nname = "ph"\nversion = "0.1.0"\nedition = "2021"\n',
  'src/main.rs': '#[deprecated(note = "see @@sc:cwd@@/NOTES")]\nfn old() {}\nfn main() { old(); println!("{}", env!("PH_NOTE")); }\n',
};
const ENV = { PH_NOTE: '@@sc:cwd@@/x' };

t.test("text holding a placeholder's form is not stored: every build prints and records it as plain rustc does", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const a = fileTree(FILES, 'ph-a');
  const b = fileTree(FILES, 'ph-b');
  const plain = await run('cargo', ['build'], { cwd: a, env: { ...process.env, ...ENV, CARGO_TERM_COLOR: 'never', CARGO_TARGET_DIR: join(a, 'plain') } });
  assertOk(t, plain, 'plain cargo builds');
  t.match(plain.stderr, /see @@sc:cwd@@\/NOTES/, 'plain rustc prints the note as written');
  assertOk(t, await store.cargo(a, ['build'], { ...ENV, SPLITCACHE_SESSION: 'a' }), 'checkout A builds');
  const r = await store.cargo(b, ['build'], { ...ENV, SPLITCACHE_SESSION: 'b' });
  assertOk(t, r, 'checkout B builds');
  t.match(r.stderr, /see @@sc:cwd@@\/NOTES/, 'B prints the note as written');
  t.notMatch(r.stderr, new RegExp(`see ${b}`), "not with B's path in it");
  const deps = join(b, 'target', 'debug', 'deps');
  const depInfo = readFileSync(join(deps, readdirSync(deps).find((f) => f.endsWith('.d'))!), 'utf8');
  t.match(depInfo, /# env-dep:PH_NOTE=@@sc:cwd@@\/x/, "B's dep-info records the variable's value as it is");
  const again = await store.cargo(b, ['build', '-v'], { ...ENV, SPLITCACHE_SESSION: 'b2' });
  assertOk(t, again, 'B builds again');
  t.match(again.stderr, /Fresh ph/, 'and cargo finds it fresh');
  t.same((await store.calls()).map((e) => `${e.outcome} ${e.notStored}`), ['miss placeholder-in-text', 'miss placeholder-in-text'], 'A and B compiled it, neither stored it, and the audit says why');
});
