import t from 'tap';
import { gzipSync } from 'node:zlib';
import { Packr } from 'msgpackr';
import { digestBytes, initHash } from '@splitcache/hash';
import type { EntryRecord } from '@splitcache/store';
import { decodeBlobBody, decodeEnvelope, encodeBlobBody, openAc, sealAc, type AcRecord } from '../src/index.js';
import { gunzipSized } from '../src/blobBody.js';

const packr = new Packr({ useRecords: false, moreTypes: false });
const KEY_A = 'a'.repeat(32);
const KEY_B = 'b'.repeat(32);

function entry(): EntryRecord {
  return {
    v: 1, mode: 'split', crateName: 'demo', crateType: 'bin', exitCode: 0, producer: 'ci-1', createdAt: 1, rustcVersion: 'rustc 1.95.0',
    compileMs: 10, command: [], inputs: [['{cwd}/src/main.rs', 'c'.repeat(32)]], stdout: Buffer.alloc(0), stderr: Buffer.from('warning\n'),
    outputs: [{ name: 'demo.rlink', digest: 'd'.repeat(32), size: 4, form: 'rlink', role: 'rlink' }],
  };
}

const codeOf = (fn: () => unknown) => {
  try {
    fn();
    return 'none';
  } catch (e) {
    return (e as { code?: string }).code;
  }
};

t.before(initHash);

t.test('signed records round-trip; tampering, a missing signature or another key are refused', async (t) => {
  const rec: AcRecord = { v: 1, kind: 'entry', key: KEY_A, entry: entry() };
  const body = sealAc(rec, 'k1');
  t.same(openAc(body, 'entry', KEY_A, 'k1').entry.producer, 'ci-1');
  t.equal(codeOf(() => openAc(body, 'entry', KEY_A, 'k2')), 'SPLITCACHE_REMOTE_SIGNATURE', 'another signing key');
  t.equal(codeOf(() => openAc(sealAc(rec, undefined), 'entry', KEY_A, 'k1')), 'SPLITCACHE_REMOTE_SIGNATURE', 'unsigned');
  const env = packr.unpack(body) as { v: 1; payload: Uint8Array; sig: string };
  const p = Buffer.from(env.payload);
  p[p.length - 2]! ^= 1;
  t.equal(codeOf(() => openAc(packr.pack({ ...env, payload: p }), 'entry', KEY_A, 'k1')), 'SPLITCACHE_REMOTE_SIGNATURE', 'one flipped bit');
  // A validly signed record replayed under another key, or as another kind, is refused too.
  t.equal(codeOf(() => openAc(body, 'entry', KEY_B, 'k1')), 'SPLITCACHE_REMOTE_RECORD', 'served under another key');
  t.equal(codeOf(() => openAc(body, 'inputs', KEY_A, 'k1')), 'SPLITCACHE_REMOTE_RECORD', 'served as another kind');
  t.equal(openAc(body, 'entry', KEY_A, undefined).key, KEY_A, 'without a signing key the signature is not checked');
});

t.test('malformed records are refused before anything reads them', async (t) => {
  t.equal(decodeEnvelope(Buffer.from('<html>')), undefined);
  t.equal(codeOf(() => openAc(Buffer.from('junk'), 'entry', KEY_A, undefined)), 'SPLITCACHE_REMOTE_RECORD');
  const hostile = entry();
  hostile.outputs[0]!.name = '../../.bashrc';
  t.equal(codeOf(() => openAc(sealAc({ v: 1, kind: 'entry', key: KEY_A, entry: hostile }, 'k'), 'entry', KEY_A, 'k')), 'SPLITCACHE_MANIFEST_HOSTILE');
  const bad = { ...entry(), outputs: [{ name: 'x.o', digest: 'not-a-digest', size: 1, form: 'raw', role: 'object' }] } as unknown as EntryRecord;
  t.equal(codeOf(() => openAc(sealAc({ v: 1, kind: 'entry', key: KEY_A, entry: bad }, 'k'), 'entry', KEY_A, 'k')), 'SPLITCACHE_REMOTE_RECORD');
  const inputs = { v: 1, kind: 'inputs', key: KEY_A, crateName: 'x', inputs: [42], envDeps: [] } as unknown as AcRecord;
  t.equal(codeOf(() => openAc(sealAc(inputs, undefined), 'inputs', KEY_A, undefined)), 'SPLITCACHE_REMOTE_RECORD');
  // A size that is no count of bytes: NaN passed, and with it every cap on the blob's body (a keyless
  // server made the daemon inflate 6.4 GB). Two outputs of one name: another output's bytes under it.
  for (const size of [NaN, 0.5, -1, Infinity, 2 ** 60]) {
    const sized = entry();
    sized.outputs[0]!.size = size;
    t.equal(codeOf(() => openAc(sealAc({ v: 1, kind: 'entry', key: KEY_A, entry: sized }, undefined), 'entry', KEY_A, undefined)), 'SPLITCACHE_REMOTE_RECORD', `size ${size}`);
  }
  const twice = entry();
  twice.outputs.push({ ...twice.outputs[0]!, digest: 'e'.repeat(32) });
  t.equal(codeOf(() => openAc(sealAc({ v: 1, kind: 'entry', key: KEY_A, entry: twice }, undefined), 'entry', KEY_A, undefined)), 'SPLITCACHE_REMOTE_RECORD', 'two outputs of one name');
  // Shown by `audit` as they are: a producer with a line break and an escape sequence forged whole
  // audit lines; a compile of 10 h made `stats` save 50 hours a build. Mended, not refused.
  const mended = (e: EntryRecord) => openAc(sealAc({ v: 1, kind: 'entry', key: KEY_A, entry: e }, undefined), 'entry', KEY_A, undefined).entry;
  t.equal(mended({ ...entry(), producer: 'ci-7\n2026-12-05T00:00:00.000Z  hit' }).producer, 'ci-7\\u000a2026-12-05T00:00:00.000Z  hit', 'a line break escaped');
  t.equal(mended({ ...entry(), producer: 'ci-7\x1b[31m\u0085' }).producer, 'ci-7\\u001b[31m\\u0085', 'an escape sequence and a C1 character escaped');
  t.equal(mended({ ...entry(), producer: 'x'.repeat(300) }).producer.length, 256, 'cut to 256 characters');
  t.equal(mended({ ...entry(), producer: 'runner-ü 7' }).producer, 'runner-ü 7', 'printable text is as it was');
  t.same([-1, 3.6e9, 1234].map((compileMs) => mended({ ...entry(), compileMs }).compileMs), [0, 86_400_000, 1234], 'a compile time between none and a day');
});

// An input may name two paths split by one NUL (the daemon's nearInputs.ts: a path under its
// placeholder, and as it was): a CI-like run's remote tests found every such input set refused.
t.test('an input set whose input names a path and the path as it was, split by one NUL, is read; other NULs are not', async (t) => {
  const set = (inputs: string[]) => sealAc({ v: 1, kind: 'inputs', key: KEY_A, crateName: 'x', inputs, envDeps: [] } as unknown as AcRecord, undefined);
  const read = openAc(set(['src/lib.rs', '@@sc:pkg@@/README.md\0/ci/a/README.md']), 'inputs', KEY_A, undefined) as { inputs: string[] } | undefined;
  t.same(read?.inputs, ['src/lib.rs', '@@sc:pkg@@/README.md\0/ci/a/README.md']);
  for (const bad of ['a\0b\0c', '\0/ci/a', 'a\0', ''])
    t.equal(codeOf(() => openAc(set([bad]), 'inputs', KEY_A, undefined)), 'SPLITCACHE_REMOTE_RECORD', JSON.stringify(bad));
});

t.test('blob bodies: compressed only when it pays, always addressed by the raw digest', async (t) => {
  const text = Buffer.from('object code compresses well; '.repeat(1000));
  const d = digestBytes(text);
  const sent = await encodeBlobBody(text, 'gzip');
  t.ok(sent.length < text.length / 5, `a compressible blob is sent gzipped (${sent.length} of ${text.length} bytes)`);
  t.ok((await decodeBlobBody(sent, d)).equals(text));
  t.ok((await decodeBlobBody(text, d)).equals(text), 'a raw body is accepted as well');
  const small = Buffer.from('tiny');
  t.equal(await encodeBlobBody(small, 'gzip'), small, 'small blobs are sent as is');
  const random = Buffer.from(Array.from({ length: 8192 }, () => Math.floor(Math.random() * 256)));
  t.equal(await encodeBlobBody(random, 'gzip'), random, 'incompressible blobs are sent as is');
  t.equal(await encodeBlobBody(text, 'none'), text);
  const wrong = Buffer.from(text);
  wrong[10]! ^= 1;
  await t.rejects(decodeBlobBody(wrong, d), { code: 'SPLITCACHE_REMOTE_DIGEST' }, 'a changed byte');
  await t.rejects(decodeBlobBody(gzipSync(wrong), d), { code: 'SPLITCACHE_REMOTE_DIGEST' }, 'a valid gzip of other bytes');
  const truncated = sent.subarray(0, sent.length - 9);
  await t.rejects(decodeBlobBody(truncated, d), { code: 'SPLITCACHE_REMOTE_DIGEST' }, 'a truncated gzip body');
});

t.test('gunzipSized: the trailer sizes the first buffer; one that lies is refused, never a wrong blob', async (t) => {
  const raw = Buffer.from('a rlib has long runs of similar bytes; '.repeat(50_000)); // ~2 MB
  const z = gzipSync(raw, { level: 1 });
  t.ok((await gunzipSized(z)).equals(raw), 'a true trailer');
  for (const isize of [0, 1, raw.length - 1, 0xffffffff]) {
    const lying = Buffer.from(z);
    lying.writeUInt32LE(isize, lying.length - 4);
    // zlib checks ISIZE against what it inflated: a lying trailer fails as a damaged body does.
    const out = await gunzipSized(lying).catch((e: Error) => e);
    t.ok(out instanceof Error || out.equals(raw), `ISIZE ${isize}: the blob or an error, never other bytes`);
    await t.rejects(decodeBlobBody(lying, digestBytes(raw)), { code: 'SPLITCACHE_REMOTE_DIGEST' }, `and decodeBlobBody refuses ISIZE ${isize}`);
  }
  const two = Buffer.concat([gzipSync(raw.subarray(0, 1000)), gzipSync(raw.subarray(1000))]);
  t.ok((await gunzipSized(two)).equals(raw), 'two gzip members (their last trailer sizes the buffer) give the whole blob');
  await t.rejects(gunzipSized(z, 1024 * 1024), 'more output than maxOutputLength is refused');
});

// A blob recorded as 16 bytes, sent as a gzip bomb (1 GiB of zeros in ~1 MB): decodeBlobBody
// inflates no more than the recorded size. With that cap gone (a mutation audit's: no test held
// it), the same refusal took 17 s and 2 GiB of memory.
t.test('a gzip bomb for a small blob is refused after inflating no more than its recorded size', async (t) => {
  const bomb = gzipSync(Buffer.alloc(1 << 30), { level: 9 });
  const d = digestBytes(Buffer.from('sixteen bytes!!!'));
  const rss = process.memoryUsage().rss;
  let peak = rss;
  const watch = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  const started = Date.now();
  await t.rejects(decodeBlobBody(bomb, d, 16), { code: 'SPLITCACHE_REMOTE_DIGEST' }, 'refused');
  clearInterval(watch);
  peak = Math.max(peak, process.memoryUsage().rss);
  t.ok(Date.now() - started < 3000, `at once (${Date.now() - started} ms)`);
  t.ok(peak - rss < 256 * 2 ** 20, `in bounded memory (rss +${((peak - rss) / 2 ** 20).toFixed(0)} MiB)`);
});

// Each check of an entry's and an input set's shape fails a case here: a mutation audit found these
// held by no test (each check gone, every test passed). A failed compile's entry replayed as a hit
// with exit 0; an entry of no outputs replayed none, and cargo found no crate; an env-dep name that
// is no string reached the key's reading of the environment.
t.test('an entry or input set of another shape than ours is refused: each field checked', async (t) => {
  const refused = (e: EntryRecord, why: string) => t.equal(codeOf(() => openAc(sealAc({ v: 1, kind: 'entry', key: KEY_A, entry: e }, undefined), 'entry', KEY_A, undefined)), 'SPLITCACHE_REMOTE_RECORD', why);
  const bad = (patch: Record<string, unknown>) => ({ ...entry(), ...patch }) as unknown as EntryRecord;
  refused(bad({ exitCode: 1 }), 'a failed compile');
  refused(bad({ outputs: [] }), 'no outputs');
  refused(bad({ mode: 'other' }), 'a mode of neither kind');
  refused(bad({ v: 2 }), 'another version');
  refused(bad({ stdout: 'text' }), 'stdout not bytes');
  refused(bad({ inputs: [['src/main.rs', 'not a digest']] }), 'an input of no digest');
  refused(bad({ command: [1] }), 'a command of no strings');
  refused(bad({ crateName: 7 }), 'a crate name of no string');
  for (const [field, value] of [['form', 'zip'], ['role', 'binary']] as const) {
    refused(bad({ outputs: [{ ...entry().outputs[0]!, [field]: value }] }), `an output's ${field} ${value}`);
  }
  const set = (envDeps: unknown[]) => sealAc({ v: 1, kind: 'inputs', key: KEY_A, crateName: 'x', inputs: ['src/lib.rs'], envDeps } as unknown as AcRecord, undefined);
  t.same((openAc(set(['OUT_DIR']), 'inputs', KEY_A, undefined) as { envDeps: string[] }).envDeps, ['OUT_DIR'], 'an env-dep name');
  for (const envDep of ['', 'A\0B', 42]) t.equal(codeOf(() => openAc(set([envDep]), 'inputs', KEY_A, undefined)), 'SPLITCACHE_REMOTE_RECORD', `env-dep ${JSON.stringify(envDep)}`);
});
