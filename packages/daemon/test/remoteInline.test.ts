import t from 'tap';
import type { Test } from 'tap';
import { rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { digestBytes, initHash } from '@splitcache/hash';
import { CacheServer, sealAc, type RemoteCache } from '@splitcache/remote';
import { RemoteTier } from '../src/remoteTier.js';
import { UploadQueue } from '../src/uploadQueue.js';
import { cache, checkout, log, MANIFEST, open, produce, tmp } from './remoteFixture.js';

// The entry inline in the input set (docs/REMOTE.md): a hit asks the remote
// twice in a row (the input set, then the blobs) where it asked three times.
// Every extra round trip is paid once per crate, on the build's critical path,
// at the remote's latency (bench/remoteOnly.mjs --latency-ms 25: warm tokio
// from the remote 7.45 s with three, 5.2-5.6 s with two).
t.before(initHash);

/** A front for `target` that passes every request through and notes each as `METHOD /path`. */
async function countingFront(t: Test, target: string): Promise<{ url: string; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push(`${req.method} ${req.url}`);
      const body = Buffer.concat(chunks);
      fetch(`${target}${req.url}`, { method: req.method, body: req.method === 'PUT' ? body : undefined }).then(
        async (r) => void res.writeHead(r.status, { 'content-length': r.headers.get('content-length') ?? '0' }).end(Buffer.from(await r.arrayBuffer())),
        () => void res.writeHead(502).end(),
      );
    });
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  t.teardown(() => new Promise<void>((res) => server.close(() => res())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

async function serve(t: Test) {
  const dir = tmp('serve');
  const server = await CacheServer.start({ dir, host: '127.0.0.1', port: 0 });
  t.teardown(() => server.close());
  return { server, dir };
}

/** One producer's store and upload queue; `upload` stores an entry there and publishes it. */
async function producer(t: Test, url: string, signingKey?: string) {
  const a = await open(t);
  const ca = checkout();
  const queue = new UploadQueue(cache(t, url, { signingKey }), { ...a, log });
  t.teardown(() => queue.stop());
  return {
    ca,
    async upload(o: Parameters<typeof produce>[3] = {}) {
      const { entryKey, item } = await produce(a.store, ca.table, ca.cwd, o);
      await queue.enqueue(entryKey, item);
      t.same(await queue.flush(5000), { outcome: 'empty', left: 0 }, 'flushed');
      return entryKey;
    },
  };
}

/** A lookup from an empty store in a checkout of its own, whose src/lib.rs holds `source`; what it asked the remote. */
async function lookup(t: Test, url: string, source?: string, signingKey?: string, form = '') {
  const front = await countingFront(t, url);
  const b = await open(t);
  const cb = checkout();
  if (source !== undefined) writeFileSync(join(cb.cwd, 'src', 'lib.rs'), source);
  const tier = new RemoteTier(cache(t, front.url, { signingKey }), { ...b, log }, Boolean(signingKey));
  const r = await tier.fetch({ manifestKey: MANIFEST, crateName: 'answer', components: [], cwd: cb.cwd, table: cb.table, env: { ANSWER_MODE: 'fast' }, form });
  const asked = front.seen.filter((s) => s.startsWith('GET /ac/')).map((s) => (s === `GET /ac/${MANIFEST}` ? 'input set' : `entry ${s.slice(8)}`));
  return { entryKey: r.result?.entryKey, reason: r.reason, signature: r.signature, asked, blobs: front.seen.filter((s) => s.startsWith('GET /cas/')).length, errors: b.stats.stats.errors };
}

t.test('a hit asks for the input set and the blobs: the entry comes inline', async (t) => {
  const { server } = await serve(t);
  const key = await (await producer(t, server.url, 'k')).upload();
  const got = await lookup(t, server.url, undefined, 'k');
  t.equal(got.entryKey, key, 'a hit');
  t.equal(got.signature, 'valid', 'inside the signed input set');
  t.same(got.asked, ['input set'], 'no request for the entry');
  t.equal(got.blobs, 2, 'and one for each blob');
});

t.test('a new result for the same paths takes the inline place; the one before is still found by its key', async (t) => {
  const { server } = await serve(t);
  const p = await producer(t, server.url);
  const first = await p.upload();
  const second = await p.upload({ source: 'pub fn answer() -> u32 { 43 }\n' });
  t.not(first, second);
  const newer = await lookup(t, server.url, 'pub fn answer() -> u32 { 43 }\n');
  t.equal(newer.entryKey, second, 'the latest result is a hit');
  t.same(newer.asked, ['input set'], 'from the input set alone');
  const older = await lookup(t, server.url);
  t.equal(older.entryKey, first, 'the first result is a hit too');
  t.same(older.asked, ['input set', `entry ${first}`], 'asked for by its own key');
});

t.test('a writer without a signing key leaves a signed input set as it is', async (t) => {
  const { server } = await serve(t);
  const first = await (await producer(t, server.url, 'k')).upload();
  await (await producer(t, server.url)).upload({ source: 'pub fn answer() -> u32 { 43 }\n' });
  const got = await lookup(t, server.url, undefined, 'k');
  t.equal(got.entryKey, first, 'readers with the key still hit');
  t.same(got.asked, ['input set'], 'from the signed input set, whose entry is still the first');
});

t.test('an entry put up again for blobs the server lost is put inline again', async (t) => {
  const { server, dir } = await serve(t);
  const lost = Buffer.from('an object only the first producer made');
  const key = await (await producer(t, server.url)).upload({ extra: lost });
  loseBlob(dir, lost);
  t.equal((await lookup(t, server.url)).reason, 'remote-blob-missing', 'a miss while the blob is gone');
  // Another checkout, the same inputs, so the same entry key, and objects of its own.
  const again = await (await producer(t, server.url)).upload();
  t.equal(again, key);
  const got = await lookup(t, server.url);
  t.equal(got.entryKey, key, 'a hit once the entry is put up again');
  t.same(got.asked, ['input set'], 'from the input set: its entry inline was replaced too (before, it named the lost blob)');
});

t.test("an entry inline that lost a blob the entry at its key keeps: that one serves, and the next writer mends the inline", async (t) => {
  const { server, dir } = await serve(t);
  const key = await inlineApartFromKey(t, server.url, dir);
  const got = await lookup(t, server.url);
  t.equal(got.entryKey, key, 'a hit (before: remote-blob-missing, on every reader, for good)');
  t.same(got.asked, ['input set', `entry ${key}`], 'from the entry at its key');
  t.equal(got.errors.SPLITCACHE_REMOTE_DIGEST, undefined);
  t.equal(await (await producer(t, server.url)).upload(), key, 'a third checkout publishes the same key');
  const mended = await lookup(t, server.url);
  t.equal(mended.entryKey, key, 'a hit again');
  t.same(mended.asked, ['input set'], 'from the input set: the third writer mended the inline, whose blob was gone');
});

t.test("the entry at its key, taken for an inline one that lost a blob, is held to its own diagnostics' form", async (t) => {
  const { server, dir } = await serve(t);
  const warning = '{"$message_type":"diagnostic","rendered":"warning: unused variable\\n --> src/lib.rs:1:1\\n"}\n';
  // A's entry, at the key, holds a warning in rustc's default form; B's, inline, none (the form of
  // the diagnostics is not in the key).
  const key = await inlineApartFromKey(t, server.url, dir, { warning });
  const short = await lookup(t, server.url, undefined, undefined, 'diagnostic-short');
  t.same([short.entryKey, short.reason], [undefined, 'remote-diagnostic-form'], "a short call does not get A's long-form warning (before: a hit that replayed it)");
  const plain = await lookup(t, server.url);
  t.equal(plain.entryKey, key, 'a call of the default form does');
});

t.test('an entry inline that records other inputs than its key is left aside: the entry at its key serves', async (t) => {
  const { server } = await serve(t);
  const key = await (await producer(t, server.url)).upload();
  const c = cache(t, server.url);
  await rewriteInputSet(c, (r) => ({ ...r, entry: { key: r.entry!.key, entry: { ...r.entry!.entry, inputs: [['{cwd}/src/other.rs', 'a'.repeat(32)]] } } }));
  const got = await lookup(t, server.url);
  t.equal(got.entryKey, key, 'a hit (before: SPLITCACHE_REMOTE_RECORD, a miss)');
  t.same(got.asked, ['input set', `entry ${key}`], 'from the entry at its key');
});

t.test('a call of the form published last takes its entry inline, with no request for the default one', async (t) => {
  const { server } = await serve(t);
  const short = 'diagnostic-short';
  const warning = '{"$message_type":"diagnostic","rendered":"src/lib.rs:1:1: warning: unused variable\\n"}\n';
  const key = await (await producer(t, server.url)).upload({ warning, display: short });
  const got = await lookup(t, server.url, undefined, undefined, short);
  t.equal(got.entryKey, key, 'a hit');
  t.same(got.asked, ['input set'], 'before: a request for the default form first (a 404 here)');
});

// A call in a terminal whose size the daemon can't read has form `width=unread` (diagnosticForm.ts),
// which no producer publishes: only a quiet entry, at the default key, can serve it.
t.test('a call whose width is unread asks for no entry of its own form, which none publishes', async (t) => {
  const { server } = await serve(t);
  const warning = '{"$message_type":"diagnostic","rendered":"warning: unused variable\\n"}\n';
  await (await producer(t, server.url)).upload({ warning, display: 'width=40' });
  const got = await lookup(t, server.url, undefined, undefined, 'width=unread');
  t.same([got.entryKey, got.reason], [undefined, 'remote-no-entry'], 'a miss');
  t.equal(got.asked.length, 2, 'the input set and the default entry (before: a third request, for its form)');
});

t.test('an input set without an entry inline (an older writer) still serves, asking for the entry', async (t) => {
  const { server } = await serve(t);
  const key = await (await producer(t, server.url)).upload();
  const bare = cache(t, server.url);
  await rewriteInputSet(bare, ({ entry: _gone, ...r }) => r);
  const got = await lookup(t, server.url);
  t.equal(got.entryKey, key, 'a hit');
  t.same(got.asked, ['input set', `entry ${key}`]);
});

t.test('an entry inline that is malformed or hostile is left aside: the entry at its key serves', async (t) => {
  const { server } = await serve(t);
  const key = await (await producer(t, server.url)).upload();
  const c = cache(t, server.url);
  const sound = (await c.readableInputSet(MANIFEST))!.record.entry!;
  for (const [what, outputs] of [['no outputs', []], ['a name outside the out-dir', [{ name: '../../.bashrc', digest: 'e'.repeat(32), size: 1, form: 'raw', role: 'output' }]]] as const) {
    await rewriteInputSet(c, (r) => ({ ...r, entry: { key: sound.key, entry: { ...sound.entry, outputs: outputs as never } } }));
    const got = await lookup(t, server.url);
    t.equal(got.entryKey, key, `${what}: a hit (before, the input set was refused with it: a miss)`);
    t.same(got.asked, ['input set', `entry ${key}`], 'from the entry at its key');
  }
});

// Signed too, at its key (a mutation audit's: the entry record going up unsigned from a writer
// with a key held no test, as the input set carries it inline; the readers with the key would
// refuse every such entry published apart, and miss that crate for good).
for (const signingKey of [undefined, 'k']) {
  t.test(`an entry too large to go inline (megabytes of warnings) is published apart${signingKey ? ', signed' : ''}`, async (t) => {
    const { server } = await serve(t);
    const warning = `{"$message_type":"diagnostic","rendered":"warning: ${'x'.repeat(300_000)}\\n"}\n`;
    const key = await (await producer(t, server.url, signingKey)).upload({ warning });
    const got = await lookup(t, server.url, undefined, signingKey);
    t.equal(got.entryKey, key, `a hit (${got.reason ?? ''})`);
    t.same(got.asked, ['input set', `entry ${key}`], 'its entry asked for on its own');
    t.equal(got.signature, signingKey ? 'valid' : 'unsigned');
  });
}

/** Removes a blob from the server's files, as an eviction apart from the records that name it does. */
function loseBlob(dir: string, bytes: Buffer): void {
  const d = digestBytes(bytes);
  rmSync(join(dir, 'cas', d.slice(0, 2), d.slice(2)));
}

/**
 * A publishes a key (with `a`), then another commit; B, in another checkout (objects of its own),
 * the first key after them: the entry at the key stays A's, whole, while the one inline in the
 * input set becomes B's, and B's own blob is then lost on the server. The key.
 */
async function inlineApartFromKey(t: Test, url: string, dir: string, a: Parameters<typeof produce>[3] = {}): Promise<string> {
  const first = await producer(t, url);
  const key = await first.upload({ ...a, extra: Buffer.from("A's own object") });
  await first.upload({ source: 'pub fn answer() -> u32 { 43 }\n' });
  const bOwn = Buffer.from("B's own object");
  t.equal(await (await producer(t, url)).upload({ extra: bOwn }), key, "B's entry has A's key");
  loseBlob(dir, bOwn);
  return key;
}

type InputSet = NonNullable<Awaited<ReturnType<RemoteCache['readableInputSet']>>>['record'];

/** Puts the manifest key's input set back as `change` makes it, unsigned. */
async function rewriteInputSet(c: RemoteCache, change: (r: InputSet) => InputSet): Promise<void> {
  const there = await c.readableInputSet(MANIFEST);
  const { v: _v, kind: _k, ...rec } = change(there!.record);
  await c.http.put(`/ac/${MANIFEST}`, sealAc({ v: 1, kind: 'inputs', ...rec }, undefined));
}
