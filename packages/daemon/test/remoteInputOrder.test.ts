import t from 'tap';
import type { Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { digestBytes, initHash, type Digest } from '@splitcache/hash';
import { PrefixTable } from '@splitcache/paths';
import { parseInvocation } from '@splitcache/rustc';
import { CacheServer } from '@splitcache/remote';
import type { EntryRecord, Store } from '@splitcache/store';
import { ABSENT } from '../src/absentInputs.js';
import { entryKeyOf } from '../src/entryKey.js';
import { ingest } from '../src/ingest.js';
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

// Code units, not a locale's collation (which puts `a` before `B`): the key is the same on every
// machine whatever its LANG, and its paths are in the order of the published input set, which a
// reader of the version before digests as it lists them.
t.test('the entry key takes paths and env-deps in UTF-16 code-unit order: B before a', async (t) => {
  const inputs: [string, Digest][] = [['{cwd}/src/a.rs', '1'.repeat(32)], ['{cwd}/src/B.rs', '2'.repeat(32)]];
  const env: [string, string | null][] = [['a_VAR', '1'], ['B_VAR', null]];
  t.equal(entryKeyOf(MANIFEST, inputs, env), digestBytes(JSON.stringify([MANIFEST, [inputs[1], inputs[0]], [env[1], env[0]]])), 'the key of the sorted set');
});

/** Compiles, in a checkout of its own, a lib whose module `m` is at `at`, stores the result as a miss does, and publishes it. */
async function compileAndPublish(t: Test, url: string, at: 'm.rs' | 'm/mod.rs'): Promise<void> {
  const cwd = moduleCheckout(at);
  mkdirSync(join(cwd, 'out'));
  const args = ['--crate-name', 'answer', '--edition=2021', 'src/lib.rs', '--crate-type', 'lib', '--emit=dep-info,metadata,link', '--out-dir', join(cwd, 'out')];
  await sleep(20);
  const startedAt = Date.now();
  const compiled = spawnSync('rustc', args, { cwd, encoding: 'utf8' });
  t.equal(compiled.status, 0, compiled.stderr);
  await sleep(20);
  const a = await open(t);
  const r = await ingest(a.store, a.files, {
    inv: parseInvocation(args), mode: 'whole', crateType: 'lib', cwd, table: new PrefixTable([{ name: 'cwd', path: cwd }]), manifestKey: MANIFEST,
    components: [], startedAt, compileMs: 1, stdout: new Uint8Array(), stderr: new Uint8Array(), rustcVersion: 'rustc test', rlinkVersion: '',
    host: 'x86_64-unknown-linux-gnu', maxEntryBytes: 1 << 30, producer: `runner of ${at}`,
  });
  if (!r.stored) throw new Error(`the result of ${at} is not stored: ${r.reason}`);
  const queue = new UploadQueue(cache(t, url), { ...a, log });
  t.teardown(() => queue.stop());
  await queue.enqueue(r.entryKey, { manifestKey: MANIFEST, crateName: 'answer', inputs: r.inputs.map(([p]) => p), envDeps: r.envDeps.map(([n]) => n) });
  t.same(await queue.flush(5000), { outcome: 'empty', left: 0 }, `the result reading ${at} is published`);
}

function moduleCheckout(at: 'm.rs' | 'm/mod.rs'): string {
  const cwd = tmp('checkout');
  mkdirSync(join(cwd, 'src', 'm'), { recursive: true });
  writeFileSync(join(cwd, 'src', 'lib.rs'), 'mod m;\npub fn answer() -> u32 { m::m() }\n');
  writeFileSync(join(cwd, 'src', at), MODULE);
  return cwd;
}

// A reader of the version before keyed the inputs in the input set's order and compared an entry's
// inputs in it. Writers of this version key them in path order: where they recorded them in
// dep-info order, such a reader whose set listed them in path order refused each entry of the
// move's commit as a record fault (SPLITCACHE_REMOTE_RECORD: a line in the build, where the
// version before only missed), and missed every other one (a set in dep-info order, under a key
// no writer of this version uses).
t.test("what this version publishes, a reader of the version before finds, and finds its inputs in the order it compares them", async (t) => {
  const server = await CacheServer.start({ dir: tmp('serve'), host: '127.0.0.1', port: 0 });
  t.teardown(() => server.close());
  await compileAndPublish(t, server.url, 'm.rs');
  await compileAndPublish(t, server.url, 'm/mod.rs');
  const remote = cache(t, server.url);
  const set = await remote.getInputSet(MANIFEST);
  t.same(set?.inputs, [...(set?.inputs ?? [])].sort(), 'the input set lists its paths in path order');
  for (const at of ['m.rs', 'm/mod.rs'] as const) {
    // The lookup of the version before (its remoteTier.ts, in short: this set has no input at a path as it was).
    const cwd = moduleCheckout(at);
    const table = new PrefixTable([{ name: 'cwd', path: cwd }]);
    const inputs = set!.inputs.map((p): [string, Digest] => {
      const file = resolve(cwd, table.expand(p));
      return [p, existsSync(file) ? digestBytes(readFileSync(file)) : ABSENT];
    });
    const entry = await remote.getEntry(digestBytes(JSON.stringify([MANIFEST, inputs, []])));
    t.equal(entry?.producer, `runner of ${at}`, `a reader at ${at} finds the entry of its commit`);
    t.same(entry?.inputs, inputs, 'recording its inputs as that reader compares them (not a record fault)');
  }
});
