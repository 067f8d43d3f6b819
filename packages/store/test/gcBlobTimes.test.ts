import t from 'tap';
import { utimesSync } from 'node:fs';
import { collectGarbage } from '../src/index.js';
import { freshStore } from './freshStore.js';

// A blob's mtime decides nothing but gc's grace for another process's ingest: blobs no entry
// needs go whatever they are dated. One dated ahead of the clock (a store restored from a machine
// whose clock ran ahead, a clock stepped back) stayed through every gc and `clear`, still counted.

t.test('blobs no entry needs go whatever their mtime; the grace keeps only those written just now', async (t) => {
  const store = await freshStore(t, 'sc-gctimes-');
  const dated = async (text: string, secs: number) => {
    const d = await store.blobs.write(Buffer.from(text));
    utimesSync(store.blobs.pathOf(d), secs, secs);
    return d;
  };
  const now = Date.now() / 1000;
  const future = await dated('dated in 2099', Date.UTC(2099, 0, 1) / 1000);
  const ahead = await dated('an hour ahead', now + 3600);
  const epoch = await dated('dated 1970', 0);
  const fresh = await dated('just written', now);
  const r = await collectGarbage(store, { maxBytes: 0, graceMs: 60_000 });
  t.equal(r.blobsRemoved, 3, 'three removed');
  for (const d of [future, ahead, epoch]) t.notOk(await store.blobs.has(d), `${d} is gone`);
  t.ok(await store.blobs.has(fresh), 'the one written within the grace stays');
  const all = await collectGarbage(store, { maxBytes: 0 });
  t.equal(all.blobsRemoved, 1, 'without a grace, it goes too');
  await dated('dated in 2099 again', Date.UTC(2099, 0, 1) / 1000);
  t.equal((await collectGarbage(store, { maxBytes: 0 })).blobsRemoved, 1, 'a clear (no grace) removes one dated ahead');
  t.same(await store.blobs.usage(), { blobs: 0, bytes: 0 }, 'nothing left');
});
