import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { pack } from 'msgpackr';
import { join } from 'node:path';
import { Store as StoreIndex } from '@splitcache/store';
import { assertOk, BIN, copyFixture, run, Store, tempDir } from './helpers.js';

// Issue 7, item 5: hostile input. Entries naming paths outside their out-dir,
// oversized results, source paths with spaces and unicode.

function crate(text: string): string {
  const dir = tempDir('hostile');
  mkdirSync(join(dir, 'src'), { recursive: true });
  mkdirSync(join(dir, 'out'));
  writeFileSync(join(dir, 'src/lib.rs'), `pub fn f() -> &'static str { "${text}" }\n`);
  return dir;
}

function compile(store: Store, cwd: string, extra: NodeJS.ProcessEnv = {}) {
  const args = ['rustc', '--crate-name', 'h', '--edition=2021', 'src/lib.rs', '--crate-type', 'lib', '--emit=dep-info,metadata,link', '-C', 'extra-filename=-h', '--out-dir', join(cwd, 'out')];
  return spawnSync(BIN, args, { cwd, env: store.env(extra), encoding: 'utf8' });
}

for (const evil of ['../escaped.rlib', '/tmp/absolute-escape.rlib', 'sub/dir.rlib']) {
  t.test(`an entry naming ${JSON.stringify(evil)} is refused and nothing is written outside the out-dir`, async (t) => {
    const store = new Store();
    t.teardown(() => store.stop());
    const dir = crate('hostile');
    t.equal(compile(store, dir).status, 0);
    await store.stop();
    // Rewrite the stored entry as a compromised store would.
    const idx = await StoreIndex.open(store.dir);
    for await (const [key, e] of idx.entries()) {
      e.outputs[0]!.name = evil;
      await idx.db.put(`e!${key}`, pack(e));
    }
    await idx.close();

    const again = crate('hostile');
    const r = compile(store, again);
    t.equal(r.status, 0, 'the compile still succeeds');
    t.ok(existsSync(join(again, 'out', 'libh-h.rlib')), 'with its real outputs');
    t.notOk(existsSync(join(again, 'escaped.rlib')) || existsSync('/tmp/absolute-escape.rlib') || existsSync(join(again, 'out', 'sub')), 'nothing written where the entry pointed');
    const s = await store.stats();
    t.ok((s.errors.SPLITCACHE_MANIFEST_HOSTILE ?? 0) >= 1, 'refused as SPLITCACHE_MANIFEST_HOSTILE');
    t.equal(s.hits, 0, 'never served');
  });
}

t.test('an oversized result is not stored, and the build goes on', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  t.equal(compile(store, crate('big'), { SPLITCACHE_MAX_ENTRY_SIZE: '1000' }).status, 0);
  const s = await store.stats();
  t.same(s.notStored, { 'too-large': 1 }, 'counted as too-large');
  t.equal(readdirSync(join(store.dir, 'blobs')).filter((d) => d !== 'tmp').length, 0, 'no blob written for it');
});

t.test('a workspace under a path with spaces and unicode', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = copyFixture(join(tempDir('odd'), 'mes projets', 'wörk space ✓'));
  writeFileSync(join(ws, 'util/src/extra module.rs'), 'pub fn spaced() -> u32 { 3 }\n');
  writeFileSync(join(ws, 'util/src/lib.rs'), `#[path = "extra module.rs"]\npub mod extra;\n` + readFileSync(join(ws, 'util/src/lib.rs'), 'utf8'));
  assertOk(t, await store.cargo(ws, ['build']), 'cold');
  await store.cargo(ws, ['clean']);
  assertOk(t, await store.cargo(ws, ['build']), 'warm');
  const s = await store.stats();
  t.ok(s.misses > 0 && s.hits === s.misses, `every crate hit on the second build (${s.hits}/${s.misses})`);
  t.match((await run(join(ws, 'target/debug/fx-app'), [])).stdout, /double=42/);
  // The dep-info named the spaced file: editing it must miss.
  writeFileSync(join(ws, 'util/src/extra module.rs'), 'pub fn spaced() -> u32 { 4 }\n');
  await store.cargo(ws, ['clean']);
  assertOk(t, await store.cargo(ws, ['build'], { SPLITCACHE_SESSION: 'edit' }));
  t.ok((await store.audit('edit')).some((e) => e.outcome === 'miss' && e.crate === 'fx_util'), 'an edit to the file with a space in its name is seen');
});

t.test('four cargo builds of different workspaces share one store', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const wss = [0, 1, 2, 3].map((i) => {
    const ws = copyFixture();
    writeFileSync(join(ws, 'core/src/lib.rs'), readFileSync(join(ws, 'core/src/lib.rs'), 'utf8').replace('    7\n', `    ${10 + i}\n`));
    return ws;
  });
  const results = await Promise.all(wss.map((ws) => store.cargo(ws, ['build'])));
  results.forEach((r, i) => assertOk(t, r, `workspace ${i} builds`));
  for (const [i, ws] of wss.entries()) t.match((await run(join(ws, 'target/debug/fx-app'), [])).stdout, new RegExp(`leaf=${10 + i}`), `workspace ${i}'s binary has its own edit`);
  const s = await store.stats();
  t.same(s.errors, {}, 'no lock errors or cache faults');
  t.same(s.notStored, {}, 'every result stored');
  t.equal(s.hits + s.misses, results.length * 5, 'stats add up: 5 cacheable calls per build');
});
