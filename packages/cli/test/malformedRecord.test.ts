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

/** Puts `value` (raw bytes, or a value to pack) over the manifest of `manifestOf` and the entry of `entryOf`, the daemon stopped. */
async function damage(store: Store, manifestOf: string, entryOf: string, value: (old: object) => Uint8Array): Promise<void> {
  await store.stop();
  const idx = await StoreIndex.open(store.dir);
  for await (const [key, m] of idx.manifests()) if (m.crateName === manifestOf && m.results.length > 0) await idx.db.put(`m!${key}`, value(m));
  for await (const [key, e] of idx.entries()) if (e.crateName === entryOf) await idx.db.put(`e!${key}`, value(e));
  await idx.close();
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

t.test('damaged records under gc, audit verify and stats: each goes on and drops them', async (t) => {
  const store = new Store();
  const ws = copyFixture();
  assertOk(t, await store.cargo(ws, ['build']), 'the cold build succeeds');
  await damage(store, 'fx_util', 'fx_core', () => pack({ v: 1 }));
  for (const args of [['audit', 'verify'], ['gc', '--max-size', '10G'], ['stats']]) {
    const r = await store.splitcache(args);
    t.equal(r.code, 0, `splitcache ${args.join(' ')} succeeds`);
    t.same(codeLines(r.stderr), [], `splitcache ${args.join(' ')} prints no error (${r.stderr.slice(0, 300)})`);
  }
  assertOk(t, await store.cargo(ws, ['clean']), 'cargo clean');
  const r = await store.cargo(ws, ['build']);
  assertOk(t, r, 'the next build succeeds');
  // The damaged entry went with verify; the manifest, which they skip, goes at its lookup.
  const lines = codeLines(r.stderr);
  t.ok(lines.length <= 1 && lines.every((l) => l.includes('SPLITCACHE_MANIFEST_MALFORMED')), `no other fault line (${JSON.stringify(lines)})`);
});
