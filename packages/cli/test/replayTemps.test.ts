import t from 'tap';
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Store as StoreIndex } from '@splitcache/store';
import { BIN, run, Store, tempDir } from './helpers.js';

// A hit whose large outputs (over 1 MiB: copied to a temp name beside their place, verified on
// the way) were copied while another of its blobs is damaged: the replay fails, and the copies
// go with it. With that removal gone, every test passed (a mutation audit's survivor) while
// `<output>.sc-replay-…` files stayed in the out dir (swept only once their daemon is gone).
t.test('a replay that fails on a damaged small blob removes the large copies it made', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const dir = tempDir('replaytmp');
  const out = join(dir, 'out');
  mkdirSync(out);
  writeFileSync(join(dir, 'lib.rs'), 'pub static BIG: [u8; 1_500_000] = [7; 1_500_000];\n');
  const args = ['rustc', '--crate-name', 'rt', '--crate-type', 'lib', '--edition=2021', '--emit=dep-info,metadata,link', '--out-dir', 'out', 'lib.rs'];
  const build = async (what: string) => {
    const r = await run(BIN, args, { cwd: dir, env: store.env() });
    t.equal(r.code, 0, what);
    return r;
  };
  await build('the first build');
  const rlib = join(out, readdirSync(out).find((n) => n.endsWith('.rlib'))!);
  const plain = readFileSync(rlib);
  t.ok(plain.length > 1 << 20, `the rlib is over 1 MiB (${plain.length} bytes)`);
  const key = (await store.calls()).at(-1)!.entryKey!;
  await store.stop();

  // Damage the dep-info's blob, which is read whole, not copied.
  const idx = await StoreIndex.open(store.dir);
  const d = (await idx.getEntry(key))?.outputs.find((o) => o.name.endsWith('.d'));
  const path = idx.blobs.pathOf(d!.digest);
  await idx.close();
  const bytes = readFileSync(path);
  bytes[0]! ^= 0x01;
  chmodSync(path, 0o644);
  writeFileSync(path, bytes);

  rmSync(out, { recursive: true });
  mkdirSync(out);
  const r = await build('the build over the damaged blob');
  t.match(r.stderr, /SPLITCACHE_BLOB_CORRUPT/, 'which it names');
  t.equal((await store.calls()).at(-1)?.outcome, 'miss', 'a miss');
  t.same(readdirSync(out).filter((n) => n.includes('.sc-')), [], 'no temp copy is left in the out dir');
  t.ok(readFileSync(rlib).equals(plain), 'and the rlib is compiled again, as it was');
  t.equal(statSync(rlib).size, plain.length);
});
