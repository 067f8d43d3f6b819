import t from 'tap';
import { readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileTree, run, Store, tempDir } from './helpers.js';

// split-debuginfo = "packed": each object's skeleton unit names its `.dwo` under the out-dir, by
// absolute path, in the rlib and in every binary linked from it. A profile that inherits a packed
// one unchanged (pk2 from pk) shared pk's keys under the profile dir's placeholder, and its rlib,
// bin and .dwp named target/pk/deps: not plain cargo's bytes. The key holds the profile dir's
// place for such calls (daemon/src/profileDirs.ts, packedDwarfPlace).
const PKG = (name: string, extra = '') => `[package]\nname = "${name}"\nversion = "0.1.0"\nedition = "2021"\n${extra}`;
const WORKSPACE = {
  'Cargo.toml': '[workspace]\nmembers = ["pl", "app"]\nresolver = "2"\n\n[profile.pk]\ninherits = "dev"\nsplit-debuginfo = "packed"\n\n[profile.pk2]\ninherits = "pk"\n',
  'pl/Cargo.toml': PKG('pl'),
  'pl/src/lib.rs': '#[inline(never)]\npub fn triple(n: u64) -> u64 { if n == 7 { panic!("seven") } n * 3 }\n',
  'app/Cargo.toml': PKG('app', '\n[dependencies]\npl = { path = "../pl" }\n'),
  'app/src/main.rs': 'fn main() { println!("{}", pl::triple(std::env::args().count() as u64)); }\n',
};

/** The files a build leaves in `<profile dir>` and its deps/ that hold code or DWARF, by name. */
function outputs(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const sub of ['', 'deps']) {
    for (const name of readdirSync(join(dir, sub), { withFileTypes: true })) {
      if (name.isFile() && !name.name.endsWith('.d') && !name.name.startsWith('.')) out.set(join(sub, name.name), readFileSync(join(dir, sub, name.name)));
    }
  }
  return out;
}

t.test('a profile that inherits a packed split-debuginfo one: its rlibs, bins and .dwp files are plain cargo\'s, naming no other profile dir', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = fileTree(WORKSPACE, 'packed-profile');
  const pk2 = join(ws, 'target', 'pk2');
  const plainRun = await run('cargo', ['build', '--profile', 'pk2'], { cwd: ws, env: { ...process.env, CARGO_INCREMENTAL: '0', CARGO_TERM_COLOR: 'never' } });
  t.equal(plainRun.code, 0, 'plain cargo build --profile pk2');
  const aside = join(tempDir('packed-plain'), 'pk2');
  renameSync(pk2, aside);
  const plain = outputs(aside);
  rmSync(join(ws, 'target'), { recursive: true });

  t.equal((await store.cargo(ws, ['build', '--profile', 'pk'], { SPLITCACHE_SESSION: 'pk' })).code, 0, 'cargo build --profile pk');
  t.equal((await store.cargo(ws, ['build', '--profile', 'pk2'], { SPLITCACHE_SESSION: 'pk2' })).code, 0, 'cargo build --profile pk2');
  const cached = outputs(pk2);
  t.same([...cached.keys()].sort(), [...plain.keys()].sort(), 'the same files as plain cargo');
  t.ok([...plain.keys()].some((n) => n.endsWith('.dwp')) && [...plain.keys()].some((n) => n.endsWith('.rlib')), '(an rlib and a .dwp among them)');
  for (const [name, bytes] of plain) {
    t.ok(cached.get(name)?.equals(bytes), `${name}: byte-identical to plain cargo's`);
    t.notOk(cached.get(name)?.includes(join(ws, 'target', 'pk', 'deps')), `${name}: names no target/pk/deps`);
  }

  // Its own profile's entries still serve it.
  rmSync(pk2, { recursive: true });
  t.equal((await store.cargo(ws, ['build', '--profile', 'pk2'], { SPLITCACHE_SESSION: 'again' })).code, 0, 'cargo build --profile pk2 again');
  const again = await store.calls('again');
  t.same(again.filter((c) => c.outcome !== 'hit').map((c) => c.crate), [], `pk2's own entries hit (${again.length})`);
  for (const [name, bytes] of plain) t.ok(outputs(pk2).get(name)?.equals(bytes), `${name}: still plain cargo's`);
});
