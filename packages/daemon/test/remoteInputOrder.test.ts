import t from 'tap';
import type { Test } from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { digestBytes, initHash, type Digest } from '@splitcache/hash';
import { CacheServer } from '@splitcache/remote';
import type { EntryRecord, Store } from '@splitcache/store';
import { ABSENT } from '../src/absentInputs.js';
import { entryKeyOf } from '../src/entryKey.js';
import { RemoteTier } from '../src/remoteTier.js';
import { UploadQueue } from '../src/uploadQueue.js';
import { cache, checkout, log, MANIFEST, open, SOURCE, tmp } from './remoteFixture.js';

// A module moved from `src/m.rs` to `src/m/mod.rs`, its text and the root file unchanged: one
// manifest key, the same paths (each result records the other place as ABSENT), in another
// dep-info order. The first path set published is what every reader digests, and the entry key
// followed dep-info order: a reader of the move's commit computed the key in the first commit's
// order, and missed the entry its own commit's writers published, for as long as the root file
// stayed as it was (a helper's two-runner hunt: 26 of 28 hits, the lib and the bin above it missed).
t.before(initHash);

const MODULE = 'pub fn m() -> u32 { 7 }\n';

/** Stores, as ingest does, a result that read the module at `at` ('m.rs' or 'm/mod.rs'), and publishes it. */
async function publish(t: Test, url: string, at: 'm.rs' | 'm/mod.rs'): Promise<Digest> {
  const a = await open(t);
  const { cwd, table } = checkout();
  const other = at === 'm.rs' ? 'm/mod.rs' : 'm.rs';
  const inputs: [string, Digest][] = [
    [table.normalise(join(cwd, 'src/lib.rs')), digestBytes(SOURCE)],
    [table.normalise(join(cwd, 'src', at)), digestBytes(MODULE)],
    [table.normalise(join(cwd, 'src', other)), ABSENT],
  ];
  const entryKey = await commit(a.store, inputs, `object of ${at}`);
  const queue = new UploadQueue(cache(t, url), { ...a, log });
  t.teardown(() => queue.stop());
  await queue.enqueue(entryKey, { manifestKey: MANIFEST, crateName: 'answer', inputs: inputs.map(([p]) => p), envDeps: [] });
  t.same(await queue.flush(5000), { outcome: 'empty', left: 0 }, `the result reading ${at} is published`);
  return entryKey;
}

async function commit(store: Store, inputs: [string, Digest][], object: string): Promise<Digest> {
  const bytes = Buffer.from(object.repeat(200));
  const digest = await store.blobs.write(bytes);
  const entryKey = entryKeyOf(MANIFEST, inputs, []);
  const entry: EntryRecord = {
    v: 1, mode: 'whole', crateName: 'answer', crateType: 'lib', exitCode: 0, producer: 'runner', createdAt: Date.now(),
    rustcVersion: 'rustc test', compileMs: 10, command: [], inputs, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0),
    outputs: [{ name: 'answer.o', digest, size: bytes.length, form: 'raw', role: 'output' }],
  };
  await store.commitEntry({ manifestKey: MANIFEST, manifest: { v: 1, crateName: 'answer', components: [] }, result: { entryKey, inputs, envDeps: [] }, entry });
  return entryKey;
}

t.test("a module moved to m/mod.rs: a reader of the move hits the entry its commit's writer published, under the first commit's input set", async (t) => {
  const server = await CacheServer.start({ dir: tmp('serve'), host: '127.0.0.1', port: 0 });
  t.teardown(() => server.close());
  await publish(t, server.url, 'm.rs'); // the commit before the move: its path set is the one kept
  const moved = await publish(t, server.url, 'm/mod.rs');
  const reader = await open(t);
  const { cwd, table } = checkout();
  mkdirSync(join(cwd, 'src', 'm'));
  writeFileSync(join(cwd, 'src', 'm', 'mod.rs'), MODULE);
  const tier = new RemoteTier(cache(t, server.url), { ...reader, log }, false);
  const r = await tier.fetch({ manifestKey: MANIFEST, crateName: 'answer', components: [], cwd, table, env: {}, form: '' });
  t.equal(r.reason, undefined, `no miss (${r.reason})`);
  t.equal(r.result?.entryKey, moved, "the moved module's entry serves it");
});

t.test('the entry key is the same for the same inputs in any order', async (t) => {
  const a: [string, Digest][] = [['{cwd}/src/lib.rs', '1'.repeat(32)], ['{cwd}/src/m.rs', ABSENT], ['{cwd}/src/m/mod.rs', '2'.repeat(32)]];
  t.equal(entryKeyOf(MANIFEST, [a[0]!, a[2]!, a[1]!], []), entryKeyOf(MANIFEST, a, []), 'inputs');
  t.equal(entryKeyOf(MANIFEST, a, [['B', '1'], ['A', null]]), entryKeyOf(MANIFEST, a, [['A', null], ['B', '1']]), 'env-deps');
  t.not(entryKeyOf(MANIFEST, a, []), entryKeyOf(MANIFEST, [a[0]!, ['{cwd}/src/m.rs', '2'.repeat(32)], ['{cwd}/src/m/mod.rs', ABSENT]], []), 'but not for other digests at the paths');
});
