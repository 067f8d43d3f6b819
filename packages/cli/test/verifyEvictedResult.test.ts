import t from 'tap';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Store as StoreIndex } from '@splitcache/store';
import { BIN, run, Store, tempDir } from './helpers.js';

// A result `audit verify` evicted for a damaged blob while its key kept another result: a call
// whose inputs are that result's misses as `damaged`, not `evicted` (the store's size limit).
// With lookup's reason for such a result always `evicted`, every test passed (a mutation audit's
// survivor): the audit line, the summary and explain blamed gc for verify's eviction.
t.test("a result verify evicted beside a kept one: its inputs' miss says damaged, and explain says verify", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const dir = tempDir('verifyres');
  mkdirSync(join(dir, 'out'));
  writeFileSync(join(dir, 'lib.rs'), 'mod m;\npub use m::f;\n');
  const args = ['rustc', '--crate-name', 'vr', '--crate-type', 'lib', '--edition=2021', '--emit=dep-info,metadata,link', '--out-dir', 'out', 'lib.rs'];
  const build = async (body: string, session: string) => {
    writeFileSync(join(dir, 'm.rs'), body);
    const r = await run(BIN, args, { cwd: dir, env: store.env({ SPLITCACHE_SESSION: session }) });
    t.equal(r.code, 0, `a build (${session})`);
  };
  // Two results of one key: the root source stays, the module changes.
  await build('pub fn f() -> u32 { 1 }\n', 'one');
  const first = (await store.calls()).at(-1)!;
  await build('pub fn f() -> u32 { 2 }\n', 'two');
  t.same((await store.calls()).map((c) => c.outcome), ['miss', 'miss'], 'two misses, each stored');
  await store.stop();

  // Damage a blob only the first result has: its rlib.
  const idx = await StoreIndex.open(store.dir);
  const entry = await idx.getEntry(first.entryKey!);
  const rlib = entry?.outputs.find((o) => o.name.endsWith('.rlib'));
  const path = idx.blobs.pathOf(rlib!.digest);
  await idx.close();
  const bytes = readFileSync(path);
  bytes[bytes.length >> 1]! ^= 0x10;
  chmodSync(path, 0o644);
  writeFileSync(path, bytes);
  const v = await store.splitcache(['audit', 'verify', '--json']);
  t.equal(v.code, 1, 'verify finds the damage');
  t.equal((JSON.parse(v.stdout) as { entriesEvicted: number }).entriesEvicted, 1, 'and evicts the first result alone');

  await build('pub fn f() -> u32 { 1 }\n', 'again');
  const miss = (await store.calls('again')).at(-1);
  t.equal(miss?.outcome, 'miss', 'the first inputs again: a miss');
  t.equal(miss?.reason, 'damaged', 'said to be damaged, not evicted by the size limit');
  const why = await store.splitcache(['explain', 'vr', '--session', 'again']);
  t.match(why.stdout, /evicted by `splitcache audit verify`, which found a blob of it damaged/, `explain says it (${why.stdout.trim()})`);
});
