import t from 'tap';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { freshStore } from './freshStore.js';

// LevelDB keeps what was deleted (its tombstones, and the values under them) until a compaction
// of its own: after `splitcache clear`, a store of no entry still showed megabytes of index
// (4.2 MiB after a long-lived daemon's 750 builds, a helper's). `clear` compacts it.

const indexBytes = (dir: string) => readdirSync(join(dir, 'index')).reduce((n, f) => n + statSync(join(dir, 'index', f)).size, 0);

t.test('compact() leaves the index the size of what it still holds', async (t) => {
  const store = await freshStore(t, 'compact-');
  const dir = store.dir;
  const value = Buffer.alloc(2000, 7);
  await store.db.put('a!kept', Buffer.from('kept'));
  for (let i = 0; i < 2000; i += 100) await store.db.batch(Array.from({ length: 100 }, (_, j) => ({ type: 'put' as const, key: `x!${String(i + j).padStart(6, '0')}`, value })));
  for (let i = 0; i < 2000; i += 100) await store.db.batch(Array.from({ length: 100 }, (_, j) => ({ type: 'del' as const, key: `x!${String(i + j).padStart(6, '0')}` })));
  const before = indexBytes(dir);
  t.ok(before > 1_000_000, `4 MB written and deleted: the index still holds them (${before} bytes)`);
  await store.compact();
  const after = indexBytes(dir);
  t.ok(after < 100_000, `compacted: ${after} bytes (before the second pass, 250 KB stayed)`);
  t.equal(Buffer.from(await store.db.get('a!kept')).toString(), 'kept', 'what it holds is kept');
  const keys = await store.db.keys().all();
  t.ok(keys.includes('a!kept') && !keys.includes('!') && !keys.includes('~'), `and no marker is left (${keys.join(' ')})`);
});
