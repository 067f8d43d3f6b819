import t from 'tap';
import { readFileSync } from 'node:fs';
import { pack } from 'msgpackr';
import { join } from 'node:path';
import { Store as StoreIndex } from '@splitcache/store';
import { assertOk, copyFixture, run, Store } from './helpers.js';

// SPLITCACHE_MANIFEST_MALFORMED end to end: index records damaged under a stopped daemon, one
// that does not decode and ones that decode to the wrong shape (which msgpack allows for almost
// any bytes). Each is dropped with one line naming the code, the build goes on uncached with a
// plain build's binary, the store's other entries still hit, and gc, verify, stats go on.

const BIN_PATH = join('target', 'debug', 'fx-app');

/** Puts `value` (raw bytes, or a value to pack) over the manifest of `manifestOf` and the entry of `entryOf`, the daemon stopped; the entries' keys, and how many records it damaged. */
async function damage(store: Store, manifestOf: string, entryOf: string, value: (old: object) => Uint8Array): Promise<{ keys: string[]; n: number }> {
  await store.stop();
  const idx = await StoreIndex.open(store.dir);
  let n = 0;
  for await (const [key, m] of idx.manifests()) if (m.crateName === manifestOf && m.results.length > 0 && ++n) await idx.db.put(`m!${key}`, value(m));
  const keys: string[] = [];
  for await (const [key, e] of idx.entries()) {
    if (e.crateName !== entryOf) continue;
    keys.push(key);
    await idx.db.put(`e!${key}`, value(e));
  }
  await idx.close();
  return { keys, n: n + keys.length };
}

function codeLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => /SPLITCACHE_|ERROR/.test(l));
}

t.test('damaged index records: one line, the build goes on uncached, the rest of the store still serves', async (t) => {
  // The plain build in the same directory: the binary's debuginfo names it.
  const ws = copyFixture();
  const plainEnv = { ...process.env, CARGO_INCREMENTAL: '0', RUSTC_WRAPPER: '' };
  assertOk(t, await run('cargo', ['build'], { cwd: ws, env: plainEnv }), 'the plain build succeeds');
  const plainBin = readFileSync(join(ws, BIN_PATH));
  assertOk(t, await run('cargo', ['clean'], { cwd: ws, env: plainEnv }), 'cargo clean');

  const store = new Store();
  assertOk(t, await store.cargo(ws, ['build']), 'the cold build succeeds');

  const shapes: [string, (old: object) => Uint8Array][] = [
    ['bytes that are not msgpack', () => Buffer.from([0xc1, 0xc1])],
    ['an empty map', () => pack({})],
    ['a record of another shape', (old) => pack({ ...old, results: 'none', outputs: 7 })],
  ];
  for (const [what, value] of shapes) {
    await damage(store, 'fx_util', 'fx_core', value);
    await store.cargo(ws, ['clean']);
    const r = await store.cargo(ws, ['build']);
    assertOk(t, r, `${what}: the build succeeds`);
    const lines = codeLines(r.stderr);
    t.equal(lines.length, 1, `${what}: one line names the fault (${JSON.stringify(lines)})`);
    t.match(lines[0] ?? '', /^splitcache: SPLITCACHE_MANIFEST_MALFORMED: the cache index's record [me]!\w+ is damaged \(.+\); dropped \(building uncached\)$/, `${what}: it names the code and what was done`);
    t.ok(readFileSync(join(ws, BIN_PATH)).equals(plainBin), `${what}: the binary is a plain build's`);
    const calls = await store.calls();
    const last = calls.slice(-8);
    t.ok(last.some((e) => e.crate === 'fx_derive' && e.outcome === 'hit'), `${what}: another entry still hits`);
    const events = await store.audit();
    const dropped = events.filter((e) => e.outcome === 'passthrough' && String(e.reason).includes('SPLITCACHE_MANIFEST_MALFORMED'));
    t.ok(dropped.length >= 2, `${what}: the audit log names the code for both crates (${dropped.length})`);
    // The records are gone: the next build stores them again and the one after hits all.
    assertOk(t, await store.cargo(ws, ['clean']), 'cargo clean');
    assertOk(t, await store.cargo(ws, ['build']), `${what}: the next build succeeds`);
    assertOk(t, await store.cargo(ws, ['clean']), 'cargo clean');
    const warm = await store.cargo(ws, ['build']);
    assertOk(t, warm, `${what}: the warm build succeeds`);
    t.same(codeLines(warm.stderr), [], `${what}: with no fault line`);
    t.ok(readFileSync(join(ws, BIN_PATH)).equals(plainBin), `${what}: the warm binary is a plain build's`);
  }
});

/** What the index holds of an entry and of the manifest results naming it, the daemon stopped. */
async function traces(store: Store, entryKeys: string[]): Promise<string[]> {
  await store.stop();
  const idx = await StoreIndex.open(store.dir);
  const left: string[] = [];
  for (const k of entryKeys) for (const p of ['e!', 't!', 'q!']) if ((await idx.db.get(`${p}${k}`)) !== undefined) left.push(`${p}${k}`);
  for await (const [mk, m] of idx.manifests()) for (const r of m.results) if (entryKeys.includes(r.entryKey)) left.push(`m!${mk} names ${r.entryKey}`);
  await idx.close();
  return left;
}

t.test('damaged records under gc, audit verify and stats: each goes on, drops them and says how many', async (t) => {
  const store = new Store();
  const ws = copyFixture();
  assertOk(t, await store.cargo(ws, ['build']), 'the cold build succeeds');
  const { keys, n } = await damage(store, 'fx_util', 'fx_core', () => pack({ v: 1 }));
  t.ok(keys.length === 1 && n >= 2, `the fx_core entry is damaged, and fx_util's manifest (${n} records)`);
  // Before: verify and gc dropped the entry's e! key alone, and neither said a word of it.
  const verify = await store.splitcache(['audit', 'verify']);
  t.equal(verify.code, 1, 'splitcache audit verify exits 1: the store held damaged records (it drops them)');
  t.match(verify.stdout, new RegExp(`^verify: \\d+ entries, .*; ${n} damaged index records dropped \\(SPLITCACHE_MANIFEST_MALFORMED: fx_core\\)\n$`), `verify says how many records it dropped, and the crate of the entry among them (${verify.stdout.trim()})`);
  t.same(await traces(store, keys), [], "nothing is left of the entry: its access time, and the manifest results naming it");
  for (const args of [['audit', 'verify', '--json'], ['gc', '--max-size', '10G', '--json']]) {
    const r = await store.splitcache(args);
    t.equal(r.code, 0, `then splitcache ${args.join(' ')} succeeds`);
    t.equal((JSON.parse(r.stdout) as { damagedRecords: number }).damagedRecords, 0, `and finds none left (${r.stdout.trim()})`);
  }
  const again = await damage(store, 'fx_app', 'fx_derive', () => Buffer.from([0xc1]));
  const gc = await store.splitcache(['gc', '--max-size', '10G', '--json']);
  t.equal(gc.code, 0, 'splitcache gc succeeds');
  t.equal((JSON.parse(gc.stdout) as { damagedRecords: number }).damagedRecords, again.n, `gc --json counts the records it dropped (${gc.stdout.trim()})`);
  const text = await store.splitcache(['gc', '--max-size', '10G']);
  t.notMatch(text.stdout, /damaged/, `the next gc finds none (${text.stdout.trim()})`);
  const stats = await store.splitcache(['stats']);
  t.equal(stats.code, 0, 'splitcache stats succeeds');
  t.match(stats.stdout, new RegExp(`SPLITCACHE_MANIFEST_MALFORMED\\s+${n + again.n}\\b`), `stats counts them all (${stats.stdout})`);
  for (const r of [verify, gc, text, stats]) t.same(codeLines(r.stderr), [], `no error line (${r.stderr.slice(0, 300)})`);
  assertOk(t, await store.cargo(ws, ['clean']), 'cargo clean');
  const r = await store.cargo(ws, ['build']);
  assertOk(t, r, 'the next build succeeds');
  t.same(codeLines(r.stderr), [], `with no fault line: gc and verify dropped every damaged record (${r.stderr.slice(0, 300)})`);
  const why = await store.splitcache(['explain', 'fx_core']);
  t.match(why.stdout, /dropped by `gc` or `audit verify` for a damaged index record/, `explain says why fx_core missed (${why.stdout.trim()})`);
});
