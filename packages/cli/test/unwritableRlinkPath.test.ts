import t from 'tap';
import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, run, Store, tempDir } from './helpers.js';

// A hit whose .rlink would name a path of this call's that no .rlink can hold (a tab in TMPDIR,
// where a crate it links lies: rlinkUnwritable passes through only the prefixes a .rlink holds of
// every call) compiles plainly, and the entry, no fault of its own, stays for the calls that can
// use it. With replay's conversion of that TypeError gone, every test passed (a mutation audit's
// survivor) while such a call evicted the entry, for every checkout, as if its blob were damaged.
t.test("a hit whose .rlink can't hold this call's paths: compiled plainly, said so, and the entry stays", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const root = tempDir('tabtmp');
  const dir = join(root, 'work');
  mkdirSync(join(dir, 'out'), { recursive: true });
  writeFileSync(join(dir, 'dep.rs'), 'pub fn v() -> u32 { 7 }\n');
  const made = await run('rustc', ['--crate-name', 'dep', '--crate-type', 'lib', '--edition=2021', '-C', 'metadata=m', '--out-dir', root, 'dep.rs'], { cwd: dir });
  t.equal(made.code, 0, 'the dep');
  writeFileSync(join(dir, 'main.rs'), 'fn main() { println!("v={}", dep::v()); }\n');
  // Each caller's TMPDIR holds a copy of the dep, which the call links from there.
  const caller = (name: string) => {
    const tmp = join(root, name);
    mkdirSync(tmp);
    copyFileSync(join(root, 'libdep.rlib'), join(tmp, 'libdep.rlib'));
    return tmp;
  };
  const plainTmp = caller('ta');
  const tabTmp = caller('t\tb');
  const build = async (tmp: string, what: string) => {
    for (const f of readdirSync(join(dir, 'out'))) rmSync(join(dir, 'out', f));
    const args = ['rustc', '--crate-name', 'app', '--crate-type', 'bin', '--edition=2021', '--emit=dep-info,link', '--extern', `dep=${tmp}/libdep.rlib`, '-L', `dependency=${tmp}`, '--out-dir', join(dir, 'out'), 'main.rs'];
    const r = await run(BIN, args, { cwd: dir, env: store.env({ TMPDIR: tmp }) });
    t.equal(r.code, 0, what);
    t.equal((await run(join(dir, 'out', 'app'), [])).stdout, 'v=7\n', 'and its binary runs');
    return { r, call: (await store.calls()).at(-1) };
  };
  const first = await build(plainTmp, 'the first build, stored');
  t.equal(first.call?.outcome, 'miss');
  const tab = await build(tabTmp, 'the build whose TMPDIR holds a tab');
  t.match(tab.r.stderr, /SPLITCACHE_REPLAY: this call's paths can't be written into a \.rlink/, `it says why it compiles (${tab.r.stderr.trim()})`);
  t.notMatch(tab.r.stderr, /evicted/, 'and evicts nothing');
  const again = await build(plainTmp, 'the first caller again');
  t.equal(again.call?.outcome, 'hit', 'a hit');
  t.equal(again.call?.entryKey, first.call?.entryKey, 'of the entry stored first');
});
