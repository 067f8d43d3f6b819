import t from 'tap';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, run, Store, tempDir } from './helpers.js';

// One key holds several results (direct mode: a module's edits keep the key, the root source
// unchanged), and a lookup serves whichever one's inputs hold: a branch switched back and forth
// hits both ways. With the lookup looking at the key's first result alone, every test passed (a
// mutation audit's survivor) while going back to an earlier edit missed.
t.test("a key's every result is served: a module edited and put back hits, either way", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const dir = tempDir('keyres');
  const out = join(dir, 'out');
  mkdirSync(out);
  writeFileSync(join(dir, 'lib.rs'), 'mod m;\npub use m::f;\n');
  const args = ['rustc', '--crate-name', 'kr', '--crate-type', 'lib', '--edition=2021', '--emit=dep-info,metadata,link', '--out-dir', 'out', 'lib.rs'];
  const rlibs = new Map<string, Buffer>();
  const build = async (value: number) => {
    writeFileSync(join(dir, 'm.rs'), `pub fn f() -> u32 { ${value} }\n`);
    const r = await run(BIN, args, { cwd: dir, env: store.env() });
    t.equal(r.code, 0, `a build of ${value}`);
    const rlib = readFileSync(join(out, readdirSync(out).find((n) => n.endsWith('.rlib'))!));
    if (rlibs.has(`${value}`)) t.ok(rlib.equals(rlibs.get(`${value}`)!), `the rlib of ${value}, as built before`);
    else rlibs.set(`${value}`, rlib);
    return (await store.calls()).at(-1);
  };
  const one = await build(1);
  const two = await build(2);
  t.same([one?.outcome, two?.outcome], ['miss', 'miss'], 'two misses, each stored');
  t.not(one?.entryKey, two?.entryKey, 'two results');
  for (const value of [1, 2, 1]) {
    const call = await build(value);
    t.equal(call?.outcome, 'hit', `${value} again: a hit`);
    t.equal(call?.entryKey, (value === 1 ? one : two)?.entryKey, `of ${value}'s result`);
  }
});
