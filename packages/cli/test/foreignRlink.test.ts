import t from 'tap';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pack } from 'msgpackr';
import { initHash } from '@splitcache/hash';
import { rewriteRlink } from '@splitcache/paths';
import { Store as StoreIndex } from '@splitcache/store';
import { BIN, run, Store, tempDir } from './helpers.js';

// An entry whose .rlink links a crate from another place in place of the call's own (stored by a
// daemon before such entries were refused, or published so to a shared remote) is not replayed:
// its link step would take that file's code. With replay's check gone, every test passed (a
// mutation audit's survivor) while such a hit linked the other crate into the binary.
t.test("an entry whose .rlink links another place's crate of the call's own name: not replayed, and the binary holds the call's own", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const dir = tempDir('foreignrl');
  mkdirSync(join(dir, 'out'));
  const STORED = '@@sc:target@@/libdep.rlib';
  const other = tempDir('foreignrl-other');
  const dep = (value: number, outDir: string) => {
    writeFileSync(join(dir, 'dep.rs'), `pub fn v() -> u32 { ${value} }\n`);
    return run('rustc', ['--crate-name', 'dep', '--crate-type', 'lib', '--edition=2021', '-C', 'metadata=m', '--out-dir', outDir, 'dep.rs'], { cwd: dir });
  };
  t.equal((await dep(2, other)).code, 0, "another place's dep, of the same name and metadata");
  t.equal((await dep(1, 'out')).code, 0, "the call's own dep");
  writeFileSync(join(dir, 'main.rs'), 'fn main() { println!("v={}", dep::v()); }\n');
  const args = ['rustc', '--crate-name', 'app', '--crate-type', 'bin', '--edition=2021', '--emit=dep-info,link', '--extern', 'dep=out/libdep.rlib', '-L', 'dependency=out', '--out-dir', join(dir, 'out'), 'main.rs'];
  const build = async (what: string) => {
    const r = await run(BIN, args, { cwd: dir, env: store.env() });
    t.equal(r.code, 0, what);
    t.equal((await run(join(dir, 'out', 'app'), [])).stdout, 'v=1\n', "the binary holds the call's own dep");
    return r;
  };
  await build('the first build');
  const key = (await store.calls()).at(-1)!.entryKey!;
  await store.stop();

  // The stored .rlink made to name the other place's crate.
  await initHash();
  const idx = await StoreIndex.open(store.dir);
  const entry = (await idx.getEntry(key))!;
  const rlink = entry.outputs.find((o) => o.form === 'rlink')!;
  let named = 0;
  const edited = rewriteRlink(await idx.blobs.read(rlink.digest, rlink.size), (s) => (s === STORED ? (named++, `${other}/libdep.rlib`) : undefined));
  t.equal(named, 1, `the .rlink names the dep as ${STORED}`);
  const digest = await idx.blobs.write(edited);
  const outputs = entry.outputs.map((o) => (o === rlink ? { ...o, digest, size: edited.length } : o));
  await idx.db.put(`e!${key}`, pack({ ...entry, outputs }));
  await idx.close();

  for (const f of readdirSync(join(dir, 'out'))) if (f.startsWith('app')) rmSync(join(dir, 'out', f));
  const r = await build('the build over that entry');
  t.match(r.stderr, /SPLITCACHE_RLINK_FOREIGN_CRATE/, 'which it names');
  t.equal((await store.calls()).at(-1)?.outcome, 'miss', 'a miss');
});
