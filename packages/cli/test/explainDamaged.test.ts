import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pack } from 'msgpackr';
import { Store as StoreIndex } from '@splitcache/store';
import { BIN, run, Store, tempDir } from './helpers.js';

// explain reads an earlier entry only for its date: one of the wrong shape (dropped as
// SPLITCACHE_MANIFEST_MALFORMED on that read) made explain fail with that line and say nothing else.
t.test('explain over an earlier entry of the wrong shape: it still explains', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const dir = tempDir('explain');
  mkdirSync(join(dir, 'out'));
  const args = ['rustc', '--crate-name', 'ed', '--crate-type', 'lib', '--edition=2021', '--emit=dep-info,metadata,link', '--out-dir', 'out', 'lib.rs'];
  for (const source of ['pub fn f() {}\n', 'pub fn g() {}\n']) {
    writeFileSync(join(dir, 'lib.rs'), source);
    t.equal((await run(BIN, args, { cwd: dir, env: store.env() })).code, 0, 'a build');
  }
  await store.stop();
  const idx = await StoreIndex.open(store.dir);
  for await (const [key, e] of idx.entries()) await idx.db.put(`e!${key}`, pack({ ...e, stdout: 7 }));
  await idx.close();
  const r = await store.splitcache(['explain', 'ed']);
  t.equal(r.code, 0, `explain succeeds (${r.stderr.trim()})`);
  t.match(r.stdout, /file:lib\.rs/, 'and names the file that changed');
});
