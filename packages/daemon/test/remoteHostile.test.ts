import t from 'tap';
import type { Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { closeSync, ftruncateSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { initHash } from '@splitcache/hash';
import type { EntryRecord } from '@splitcache/store';
import { CacheServer, parseTokens } from '@splitcache/remote';
import { RemoteTier } from '../src/remoteTier.js';
import { UploadQueue } from '../src/uploadQueue.js';
import { cache, checkout, log, MANIFEST, open, produce, tmp } from './remoteFixture.js';

// What a writer of an unsigned remote can make a reader do (a hunting helper's findings): its
// input set names the files the reader digests, and its entry the sizes the reader's store
// counts. Against a real `serve` on loopback, written to with a plain token and no signing key.
t.before(initHash);

async function server(t: Test) {
  const s = await CacheServer.start({ dir: tmp('serve'), host: '127.0.0.1', port: 0, tokens: parseTokens('w read-write\nr read', 't') });
  t.teardown(() => s.close());
  return s;
}

/** A reader's tier on a store of its own, and how many digests it asked its memo for. */
async function reader(t: Test, url: string) {
  const b = await open(t);
  const files = b.files;
  let digests = 0;
  const digest = files.digest.bind(files);
  files.digest = (path: string) => (digests++, digest(path));
  const tier = new RemoteTier(cache(t, url, { token: 'r' }), { ...b, log }, false);
  return { ...b, tier, digests: () => digests };
}

const query = (cwd: string, table: ReturnType<typeof checkout>['table']) => ({ manifestKey: MANIFEST, crateName: 'answer', components: [] as [string, string][], cwd, table, form: '', env: { ANSWER_MODE: 'fast' } });

t.test('an input set naming a file of the kernel is a record fault: not read', async (t) => {
  const s = await server(t);
  await cache(t, s.url, { token: 'w' }).putInputSet({ key: MANIFEST, crateName: 'answer', inputs: ['/proc/self/status', '/proc/self/pagemap'], envDeps: [] });
  const { cwd, table } = checkout();
  const r = await reader(t, s.url);
  const started = Date.now();
  t.same(await r.tier.fetch(query(cwd, table)), { reason: 'remote-record' }, 'a miss, named');
  t.ok(Date.now() - started < 5000, 'at once (pagemap, read to its end, is 256 TiB)');
  t.equal(r.digests(), 0, 'nothing was read');
  t.equal(r.stats.stats.errors.SPLITCACHE_REMOTE_RECORD, 1, 'counted as a record fault');
});

t.test('many spellings of one file in an input set: read once', async (t) => {
  const s = await server(t);
  const { cwd, table } = checkout();
  const spellings = Array.from({ length: 300 }, (_, i) => `${cwd}/src/${'./'.repeat(i)}lib.rs`);
  await cache(t, s.url, { token: 'w' }).putInputSet({ key: MANIFEST, crateName: 'answer', inputs: spellings, envDeps: [] });
  const r = await reader(t, s.url);
  t.same(await r.tier.fetch(query(cwd, table)), { reason: 'remote-no-entry' }, 'a plain miss: no entry for those digests');
  t.equal(r.digests(), 1, 'one read, for 300 paths of one file');
});

t.test('an input set naming more than 1 GiB of files is a record fault, before any is read', async (t) => {
  const s = await server(t);
  const { cwd, table } = checkout();
  const big = join(tmp('big'), 'disk.img');
  const fd = openSync(big, 'w');
  ftruncateSync(fd, 1.5 * 2 ** 30); // sparse: no disk space, but 1.5 GiB to read
  closeSync(fd);
  await cache(t, s.url, { token: 'w' }).putInputSet({ key: MANIFEST, crateName: 'answer', inputs: [join(cwd, 'src/lib.rs'), big], envDeps: [] });
  const r = await reader(t, s.url);
  t.same(await r.tier.fetch(query(cwd, table)), { reason: 'remote-record' }, 'a miss, named');
  t.equal(r.digests(), 1, 'the small file only');
});

// A FIFO or a device is no source file: opened to be digested, a FIFO with no writer blocks the
// open, on the daemon's event loop, so every build waited (a mutation audit's repro: with the
// check gone, the reader never returned). Not read at all.
for (const kind of ['a FIFO', '/dev/zero'] as const) {
  t.test(`an input set naming ${kind} is not read: a miss at once`, async (t) => {
    const s = await server(t);
    const { cwd, table } = checkout();
    let target = '/dev/zero';
    if (kind === 'a FIFO') {
      target = join(tmp('fifo'), 'pipe');
      execFileSync('mkfifo', [target]);
    }
    await cache(t, s.url, { token: 'w' }).putInputSet({ key: MANIFEST, crateName: 'answer', inputs: [join(cwd, 'src/lib.rs'), target], envDeps: [] });
    const r = await reader(t, s.url);
    const started = Date.now();
    t.same(await r.tier.fetch(query(cwd, table)), { reason: 'remote-no-entry' }, 'a plain miss');
    t.ok(Date.now() - started < 5000, 'at once');
    t.equal(r.digests(), 1, 'the source file read, not it');
  });
}

// An input may name the path it had on the producer's machine (nearInputs.ts: a path and that one,
// split by a NUL), which is read where a file is there. Something other than a file there (a
// directory here; a FIFO would block the reader for good) is a miss, unread: no test held that
// check (a mutation audit's; without it, the directory's read failed as an error of the store).
t.test("an input set naming, as an input's path on the producer's machine, what is no file here: a miss, unread", async (t) => {
  const s = await server(t);
  const { cwd, table } = checkout();
  await cache(t, s.url, { token: 'w' }).putInputSet({ key: MANIFEST, crateName: 'answer', inputs: [join(cwd, 'src/lib.rs'), `${join(cwd, 'src/other.rs')}\0${tmp('dir')}`], envDeps: [] });
  const r = await reader(t, s.url);
  t.same(await r.tier.fetch(query(cwd, table)), { reason: 'remote-no-entry' }, 'a plain miss');
  t.equal(r.digests(), 1, 'the source file read, not it');
});

/**
 * A producer's entry for the crate, its blobs and input set published by a plain writer, with its
 * outputs' records changed by `lie` (what a hostile writer could record), then fetched by a reader
 * in another checkout.
 */
async function publishedWith(t: Test, lie: (outputs: EntryRecord['outputs']) => EntryRecord['outputs']) {
  const s = await server(t);
  const a = await open(t);
  const ca = checkout();
  const { entryKey, item } = await produce(a.store, ca.table, ca.cwd);
  const entry = (await a.store.getEntry(entryKey))!;
  const writer = cache(t, s.url, { token: 'w' });
  for (const o of entry.outputs) await writer.putBlob(o.digest, await a.store.blobs.read(o.digest));
  await writer.putEntry(entryKey, { ...entry, outputs: lie(entry.outputs) });
  await writer.putInputSet({ key: MANIFEST, crateName: item.crateName, inputs: item.inputs, envDeps: item.envDeps });
  const cb = checkout();
  const r = await reader(t, s.url);
  return { s, a, writer, entry, entryKey, item, cb, r, fetched: await r.tier.fetch(query(cb.cwd, cb.table)) };
}

// One blob recorded under two sizes, one of them a lie beside the true outputs: the store's limit
// counts recorded sizes, so a writer could have a reader's other entries evicted (as with the
// 9 MB sizes below, by another route). No test held this check (a mutation audit's repro).
t.test('an entry recording one blob under two sizes is refused, and nothing is backfilled', async (t) => {
  const { entryKey, r, fetched } = await publishedWith(t, (outputs) => [{ ...outputs[0]!, name: 'padding.bin', size: 9_000_000 }, ...outputs]);
  t.same(fetched, { reason: 'remote-record' }, 'a miss, named');
  t.equal(await r.store.getEntry(entryKey), undefined, 'no entry backfilled');
});

t.test("an entry whose recorded sizes are not its blobs' is refused, and nothing is backfilled", async (t) => {
  // The sizes the store's limit counts, each 9 MB: `gc` evicted a reader's other entries for room never taken.
  const { s, a, writer, entry, entryKey, item, cb, r, fetched } = await publishedWith(t, (outputs) => outputs.map((o) => ({ ...o, size: 9_000_000 })));
  t.same(fetched, { reason: 'remote-record' }, 'a miss, named');
  t.equal(await r.store.getEntry(entryKey), undefined, 'no entry backfilled');

  // An honest writer's next upload of that crate puts its own entry over it.
  const queue = new UploadQueue(writer, { ...a, log });
  await queue.enqueue(entryKey, item);
  t.same(await queue.flush(5000), { outcome: 'empty', left: 0 }, 'uploaded');
  const again = await reader(t, s.url);
  t.equal((await again.tier.fetch(query(cb.cwd, cb.table))).result?.entryKey, entryKey, 'the entry with true sizes replaced it, and hits');

  // A blob of this reader's own store cut short is its own damage, not the remote's: fetched again.
  const third = await reader(t, s.url);
  const blob = entry.outputs[0]!;
  const path = third.store.blobs.pathOf(blob.digest);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, (await a.store.blobs.read(blob.digest)).subarray(0, 10));
  t.equal((await third.tier.fetch(query(cb.cwd, cb.table))).result?.entryKey, entryKey, 'a hit');
  t.ok(await third.store.blobs.read(blob.digest), 'with the blob whole again');
});

// A blob is held whole in memory while it is fetched: blobs over 64 MiB come one at a time, so a
// reader holds one at once, not eight (an entry may record up to 2 GiB each: its sizes are the
// writer's word until the bytes come). No test held it (a mutation audit's). Each GET of a blob
// here is held 300 ms by a front that counts those in flight; the sizes lie, so the first refused ends it.
t.test('blobs an entry records as over 64 MiB are fetched one at a time', async (t) => {
  const s = await server(t);
  const a = await open(t);
  const ca = checkout();
  const { entryKey, item } = await produce(a.store, ca.table, ca.cwd, { extra: Buffer.from('object three') });
  const entry = (await a.store.getEntry(entryKey))!;
  const writer = cache(t, s.url, { token: 'w' });
  for (const o of entry.outputs) await writer.putBlob(o.digest, await a.store.blobs.read(o.digest));
  await writer.putEntry(entryKey, { ...entry, outputs: entry.outputs.map((o, i) => ({ ...o, size: (65 << 20) + i })) });
  await writer.putInputSet({ key: MANIFEST, crateName: item.crateName, inputs: item.inputs, envDeps: item.envDeps });
  let blobs = 0, most = 0;
  const front = createServer((req, res) => {
    const blob = req.url!.startsWith('/cas/');
    if (blob) most = Math.max(most, ++blobs);
    setTimeout(() => {
      fetch(`${s.url}${req.url}`, { headers: { authorization: String(req.headers.authorization) } }).then(async (r) => {
        const body = Buffer.from(await r.arrayBuffer());
        if (blob) blobs--;
        res.writeHead(r.status, { 'content-length': body.length }).end(body);
      }, () => void res.writeHead(502).end());
    }, blob ? 300 : 0);
  });
  await new Promise<void>((res) => front.listen(0, '127.0.0.1', () => res()));
  t.teardown(() => new Promise<void>((res) => front.close(() => res())));
  const cb = checkout();
  const r = await reader(t, `http://127.0.0.1:${(front.address() as AddressInfo).port}`);
  t.same(await r.tier.fetch(query(cb.cwd, cb.table)), { reason: 'remote-record' }, 'a miss, named: the sizes were a lie');
  t.equal(most, 1, 'one blob in flight at a time');
});

t.test("an input set this daemon refused is replaced by its own upload, and readers hit again", async (t) => {
  const s = await server(t);
  await cache(t, s.url, { token: 'w' }).putInputSet({ key: MANIFEST, crateName: 'answer', inputs: ['/proc/self/status'], envDeps: [] });
  // A runner that reads and writes: its lookup refuses the set, it compiles, and its upload follows.
  const a = await open(t);
  const ca = checkout();
  const writer = cache(t, s.url, { token: 'w' });
  const tier = new RemoteTier(writer, { ...a, log }, false);
  t.same(await tier.fetch(query(ca.cwd, ca.table)), { reason: 'remote-record' }, 'the lookup refuses it');
  const { entryKey, item } = await produce(a.store, ca.table, ca.cwd);
  const queue = new UploadQueue(writer, { ...a, log }, { refused: (key) => tier.refusedInputSet(key), replaced: (key) => tier.replacedInputSet(key) });
  await queue.enqueue(entryKey, item);
  t.same(await queue.flush(5000), { outcome: 'empty', left: 0 }, 'uploaded');
  const cb = checkout();
  const r = await reader(t, s.url);
  t.equal((await r.tier.fetch(query(cb.cwd, cb.table))).result?.entryKey, entryKey, 'a reader elsewhere hits: the set was replaced');
  t.notOk(tier.refusedInputSet(MANIFEST), 'once: the refusal is forgotten with it');
  // A set of other paths that no lookup here refused stays, as before.
  await cache(t, s.url, { token: 'w' }).putInputSet({ key: MANIFEST, crateName: 'answer', inputs: [join(cb.cwd, 'src/other.rs')], envDeps: [] });
  const c = await open(t);
  const cc = checkout();
  const { entryKey: again, item: same } = await produce(c.store, cc.table, cc.cwd);
  const plain = new UploadQueue(cache(t, s.url, { token: 'w' }), { ...c, log });
  await plain.enqueue(again, same);
  await plain.flush(5000);
  t.same((await cache(t, s.url, { token: 'r' }).getInputSet(MANIFEST))?.inputs, [join(cb.cwd, 'src/other.rs')], 'kept');
});

// An entry at its key that records other inputs than the key was computed from (a writer's bug, or
// a hostile one) is a record fault and a miss: its outputs are another compile's. Compared in any
// order since the key sorts its inputs (entryKey.ts, sameInputs), not left out.
t.test('an entry at its key recording another digest than the key was computed from is a record fault: a miss', async (t) => {
  const s = await server(t);
  const { cwd, table } = checkout();
  const a = await open(t);
  const { entryKey, item } = await produce(a.store, table, cwd);
  const entry = (await a.store.getEntry(entryKey))!;
  const w = cache(t, s.url, { token: 'w' });
  await w.putInputSet({ key: MANIFEST, crateName: 'answer', inputs: item.inputs, envDeps: item.envDeps });
  await w.putEntry(entryKey, { ...entry, inputs: entry.inputs.map(([p]) => [p, 'e'.repeat(32)]) });
  const r = await reader(t, s.url);
  t.same(await r.tier.fetch(query(cwd, table)), { reason: 'remote-record' }, 'a miss, named');
  t.equal(r.stats.stats.errors.SPLITCACHE_REMOTE_RECORD, 1, 'counted as a record fault');
});
