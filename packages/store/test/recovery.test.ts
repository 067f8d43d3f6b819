import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initHash } from '@splitcache/hash';
import { Store, type EntryRecord } from '../src/index.js';

await initHash();

// Issue 7, item 2 (the index part): a corrupt or lost LevelDB index is
// repaired or rebuilt from the blob directory, never left unusable.

async function seeded(n = 3): Promise<{ dir: string; keys: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'sc-recover-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = await Store.open(dir);
  const keys: string[] = [];
  for (let i = 0; i < n; i++) {
    const digest = await store.blobs.write(Buffer.from(`object file ${i}`));
    const entry: EntryRecord = {
      v: 1, mode: 'whole', crateName: `c${i}`, crateType: 'lib', outputs: [{ name: `libc${i}.rlib`, digest, size: 13, form: 'raw', role: 'output' }],
      stdout: new Uint8Array(), stderr: Buffer.from('warning\n'), exitCode: 0, producer: 'test', createdAt: 1, rustcVersion: 'rustc 1.95.0',
      compileMs: 100, command: ['--crate-name', `c${i}`], inputs: [['src/lib.rs', 'ab'.repeat(16)]],
    };
    const entryKey = `${i}`.padStart(32, '0');
    keys.push(entryKey);
    await store.commitEntry({ manifestKey: `${i}`.padStart(32, 'f'), manifest: { v: 1, crateName: `c${i}`, components: [] }, result: { entryKey, inputs: entry.inputs, envDeps: [] }, entry });
  }
  await store.close();
  return { dir, keys };
}

async function readable(dir: string, keys: string[]): Promise<number> {
  const store = await Store.open(dir);
  let n = 0;
  for (const k of keys) if ((await store.getEntry(k).catch(() => undefined))?.crateName) n++;
  const manifests = await store.getManifest('0'.padStart(32, 'f'));
  await store.close();
  return manifests ? n : -1;
}

t.test('a deleted index is rebuilt from the record blobs', async (t) => {
  const { dir, keys } = await seeded();
  rmSync(join(dir, 'index'), { recursive: true });
  t.equal(await readable(dir, keys), keys.length, 'every entry and manifest is back');
});

t.test('garbage in every index file: repaired or rebuilt, and usable', async (t) => {
  const { dir, keys } = await seeded();
  for (const f of readdirSync(join(dir, 'index'))) {
    if (f === 'LOCK') continue;
    const p = join(dir, 'index', f);
    const b = readFileSync(p);
    for (let i = 0; i < b.length; i += 7) b[i] = b[i]! ^ 0xa5;
    writeFileSync(p, b);
  }
  const notes: string[] = [];
  const store = await Store.open(dir, (w) => notes.push(w));
  await store.close();
  t.ok(notes.some((n) => n.startsWith('SPLITCACHE_STORE_CORRUPT')), `the recovery was reported: ${notes.join(' | ')}`);
  t.equal(await readable(dir, keys), keys.length, 'every entry is readable again');
  t.ok(readdirSync(dir).some((f) => f.startsWith('index.corrupt-')) || notes.some((n) => /repair/.test(n)), 'the damaged index was repaired or kept aside');
});

// LevelDB opens an index whose tables are cut short, and fails on the first read of them: the
// open went on, that read threw LEVEL_IO_ERROR, and every daemon after served 'build uncached'.
t.test('tables cut short: the first read fails, and the index is repaired or rebuilt, not left unusable', async (t) => {
  const { dir, keys } = await seeded();
  await (await Store.open(dir)).close(); // the log becomes a table (.ldb) as the index opens again
  const tables = readdirSync(join(dir, 'index')).filter((f) => f.endsWith('.ldb'));
  t.ok(tables.length > 0, `the index has tables (${tables.join(' ')})`);
  for (const f of tables) truncateSync(join(dir, 'index', f), 100);
  const notes: string[] = [];
  const store = await Store.open(dir, (w) => notes.push(w));
  await store.close();
  t.ok(notes.some((n) => n.startsWith('SPLITCACHE_STORE_CORRUPT')), `the recovery was reported: ${notes.join(' | ')}`);
  t.equal(await readable(dir, keys), keys.length, 'every entry is readable again');
});

t.test('a repair asked for by a failed read re-adds every entry', async (t) => {
  const { dir, keys } = await seeded();
  const store = await Store.open(dir);
  await store.db.del(`e!${keys[1]}`); // as if repair had dropped a damaged block
  await store.requestRepair();
  await store.close();
  t.equal(await readable(dir, keys), keys.length);
  t.notOk(existsSync(join(dir, 'index.needs-repair')), 'the marker is cleared');
});

t.test('a second opener gets SPLITCACHE_STORE_LOCKED, and temp files left by a crash are cleared', async (t) => {
  const { dir } = await seeded(1);
  writeFileSync(join(dir, 'blobs', 'tmp', 'half-written'), 'x');
  const first = await Store.open(dir);
  t.notOk(existsSync(join(dir, 'blobs', 'tmp', 'half-written')));
  await t.rejects(Store.open(dir), { code: 'SPLITCACHE_STORE_LOCKED' });
  await first.close();
});

// An index this process may not write (another user's store, a read-only mount) is refused,
// not damaged: it used to be "repaired", moved aside and rebuilt, losing its stats and audit log.
const mountable = (() => {
  const probe = mkdtempSync(join(tmpdir(), 'sc-bind-'));
  const ok = spawnSync('mount', ['--bind', probe, probe]).status === 0;
  if (ok) spawnSync('umount', [probe]);
  rmSync(probe, { recursive: true, force: true });
  return ok;
})();

t.test('an index on a read-only mount: SPLITCACHE_STORE_ACCESS, and the index is left as it is', { skip: !mountable && 'cannot bind-mount here (needs root)' }, async (t) => {
  const { dir, keys } = await seeded();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const index = join(dir, 'index');
  const before = readdirSync(index).sort();
  t.equal(spawnSync('mount', ['--bind', index, index]).status, 0, 'the index bind-mounted');
  t.teardown(() => void spawnSync('umount', ['-l', index]));
  t.equal(spawnSync('mount', ['-o', 'remount,bind,ro', index]).status, 0, 'and made read-only');
  const err = await Store.open(dir).then(() => undefined, (e: unknown) => e as { code?: string; message?: string });
  t.equal(err?.code, 'SPLITCACHE_STORE_ACCESS', `refused with its own code (${err?.message})`);
  t.match(err?.message, /read-only file system/, 'naming why');
  t.same(readdirSync(dir).filter((f) => f.startsWith('index.corrupt')), [], 'nothing moved aside');
  spawnSync('umount', [index]);
  t.same(readdirSync(index).sort(), before, 'the index files are as they were');
  t.equal(await readable(dir, keys), keys.length, 'and every entry is there once it can be written');
});
