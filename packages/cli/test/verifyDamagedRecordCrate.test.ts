import t from 'tap';
import { Store as StoreIndex } from '@splitcache/store';
import { assertOk, copyFixture, Store } from './helpers.js';

// `audit verify` names the crate of an entry record it drops for damage, by the manifest that
// names it, as it names the crates of the entries a bad blob evicts. It said only "1 damaged
// index record dropped": which crate the next build would compile again went unsaid.

t.test('audit verify names the crate whose damaged entry record it drops, and the next build compiles that crate alone', async (t) => {
  const store = new Store();
  const ws = copyFixture();
  t.teardown(() => store.stop());
  assertOk(t, await store.cargo(ws, ['build']), 'the cold build');
  await store.stop();
  const idx = await StoreIndex.open(store.dir);
  let damaged = 0;
  for await (const [key, e] of idx.entries()) if (e.crateName === 'fx_core' && ++damaged) await idx.db.put(`e!${key}`, Buffer.from([0xc1, 0xc1]));
  await idx.close();
  t.equal(damaged, 1, "fx_core's entry record is damaged");

  const verify = await store.splitcache(['audit', 'verify']);
  t.equal(verify.code, 1, 'verify exits 1');
  t.match(verify.stdout, /; 1 damaged index record dropped \(SPLITCACHE_MANIFEST_MALFORMED: fx_core\)\n/, `it names the crate: ${verify.stdout}`);
  const json = await store.splitcache(['audit', 'verify', '--json']);
  t.match(JSON.parse(json.stdout), { damagedRecords: 0, damagedCrates: [] }, 'a second run finds nothing');

  assertOk(t, await store.cargo(ws, ['clean']), 'cargo clean');
  assertOk(t, await store.cargo(ws, ['build'], { SPLITCACHE_SESSION: 'after' }), 'the build after verify');
  const misses = (await store.calls('after')).filter((e) => e.outcome === 'miss').map((e) => `${e.crate}:${e.reason}`);
  t.same(misses, ['fx_core:damaged'], 'it compiles fx_core alone, its miss read as damage');
});
