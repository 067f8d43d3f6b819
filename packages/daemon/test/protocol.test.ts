import t from 'tap';
import fc from 'fast-check';
import { pack } from 'msgpackr';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeFrame, FrameReader, socketPath, startFailedPaths, MAX_FRAME } from '../src/protocol.js';

t.test('frames round-trip whole and split at any byte', async (t) => {
  const msgs = [
    { op: 'compile', argv: ['rustc', '-vV'], env: { A: 'b', 'Ü': 'ß 🦀' } },
    { op: 'done', stdout: Buffer.from([0, 1, 2, 255]).toString('base64'), code: 0 },
  ];
  const wire = Buffer.concat(msgs.map((m) => encodeFrame(m)));
  let whole = 0;
  for (let cut = 0; cut <= wire.length; cut++) {
    const r = new FrameReader();
    const got = [...r.push(wire.subarray(0, cut)), ...r.push(wire.subarray(cut))];
    if (got.length === 2) {
      t.same(got, msgs);
      whole++;
    }
  }
  t.equal(whole, wire.length + 1, 'both frames at every cut, a multi-byte character split included');
});

t.test('frames in chunks of a few bytes, a header split across two, two frames ending in one chunk', async (t) => {
  const msgs = [{ a: 'x'.repeat(40) }, { b: 1 }, { c: [true, null] }];
  const wire = Buffer.concat(msgs.map((m) => encodeFrame(m)));
  for (const step of [1, 2, 3, 5, 7]) {
    const r = new FrameReader();
    const got: unknown[] = [];
    for (let at = 0; at < wire.length; at += step) got.push(...r.push(wire.subarray(at, at + step)));
    t.same(got, msgs, `in chunks of ${step}`);
  }
});

// Joined at every chunk, the `done` of a miss with 90 MB of stderr copied over 100 GB, and the
// daemon, busy for a minute, was killed as hung (a hunting helper's repro): counted in bytes copied.
t.test('a frame that comes in many chunks is copied about once, not once a chunk', async (t) => {
  const frame = encodeFrame({ op: 'done', stderr: Buffer.alloc(6 * 1024 * 1024, 7).toString('base64') });
  const concat = Buffer.concat;
  let copied = 0;
  Buffer.concat = ((list: readonly Uint8Array[], total?: number) => {
    const b = concat(list, total);
    copied += b.length;
    return b;
  }) as typeof Buffer.concat;
  t.teardown(() => void (Buffer.concat = concat));
  const r = new FrameReader();
  const got: unknown[] = [];
  for (let at = 0; at < frame.length; at += 65536) got.push(...r.push(frame.subarray(at, at + 65536)));
  Buffer.concat = concat;
  t.equal(got.length, 1, `one frame of ${frame.length} bytes, in ${Math.ceil(frame.length / 65536)} chunks`);
  t.ok(copied <= frame.length * 2, `${copied} bytes copied`);
});

t.test('a frame is its UTF-8 byte length, then the JSON text', async (t) => {
  const f = encodeFrame({ s: 'é' });
  t.equal(f.readUInt32BE(0), f.length - 4);
  t.equal(f.subarray(4).toString(), '{"s":"é"}');
  t.same(new FrameReader().push(encodeFrame({ env: process.env }))[0], { env: { ...process.env } }, 'process.env (not a plain object) goes as an object');
});

/** Values of the shapes the protocol carries: objects of strings, numbers, booleans, null, arrays, nested objects. */
const frameValue = fc.dictionary(
  fc.string({ maxLength: 12 }),
  fc.jsonValue({ maxDepth: 4 }),
  { maxKeys: 20 },
);

t.test('fuzz: any JSON object round-trips', async (t) => {
  let n = 0;
  fc.assert(
    fc.property(frameValue, (v) => {
      const [got] = new FrameReader().push(encodeFrame(v));
      t.same(got, JSON.parse(JSON.stringify(v)));
      n++;
    }),
    { numRuns: 2000 },
  );
  t.ok(n >= 2000);
});

t.test('a __proto__ key pollutes nothing', async (t) => {
  const [got] = new FrameReader().push(encodeFrame(JSON.parse('{"__proto__": {"polluted": 1}}'))) as Record<string, unknown>[];
  t.equal(({} as Record<string, unknown>).polluted, undefined);
  t.same(Object.keys(got!), ['__proto__']);
});

t.test('fuzz: the decoder rejects garbage cleanly and never hangs', async (t) => {
  let rejected = 0;
  let other = 0;
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 1, max: 64 }), (bytes, step) => {
      const r = new FrameReader();
      try {
        for (let i = 0; i < bytes.length; i += step) r.push(Buffer.from(bytes.subarray(i, i + step)));
      } catch (e) {
        rejected++;
        if ((e as { code?: string }).code !== 'SPLITCACHE_DAEMON_PROTOCOL') other++;
      }
    }),
    { numRuns: 10_000 },
  );
  t.ok(rejected > 0, `some inputs were rejected (${rejected})`);
  t.equal(other, 0, 'every rejection is SPLITCACHE_DAEMON_PROTOCOL');
  const frame = (body: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, body.length]), body]);
  t.throws(() => new FrameReader().push(frame(Buffer.from('{"a":'))), { code: 'SPLITCACHE_DAEMON_PROTOCOL' }, 'truncated JSON');
  t.throws(() => new FrameReader().push(frame(Buffer.from('[1]'))), { code: 'SPLITCACHE_DAEMON_PROTOCOL' }, 'not an object');
  t.throws(() => new FrameReader().push(frame(Buffer.alloc(0))), { code: 'SPLITCACHE_DAEMON_PROTOCOL' }, 'empty');
  const huge = Buffer.alloc(8);
  huge.writeUInt32BE(MAX_FRAME + 1, 0);
  t.throws(() => new FrameReader().push(huge), { code: 'SPLITCACHE_DAEMON_PROTOCOL' }, 'an oversized frame is refused before it is buffered');
});

t.test('a MessagePack frame (a splitcache before protocol 2) is refused by name', async (t) => {
  const old = Buffer.from(pack({ op: 'compile', v: 1 }));
  t.throws(() => new FrameReader().push(Buffer.concat([Buffer.from([0, 0, 0, old.length]), old])), { code: 'SPLITCACHE_DAEMON_PROTOCOL', message: /not a JSON object.*another version/ });
});

t.test('long store paths get a short socket path', async (t) => {
  const deep = join(mkdtempSync(join(tmpdir(), 'deep-')), 'd'.repeat(150));
  mkdirSync(deep);
  t.teardown(() => rmSync(dirname(deep), { recursive: true, force: true }));
  t.ok(Buffer.byteLength(socketPath(deep)) < 108);
  t.equal(socketPath(deep), socketPath(deep), 'stable');
  t.equal(socketPath('/s'), '/s/daemon.sock');
});

t.test('a failed start\'s note is never seen half-written', async (t) => {
  // Waiting clients poll for the note every 3 ms and read it the moment it exists. Written in
  // place, one read it empty in CI and printed an empty reason. Here another process rewrites
  // the note as fast as it can while this one reads it as fast as it can.
  const dir = `/tmp/sc-note-test-${process.pid}`;
  const note = startFailedPaths(dir)[0];
  rmSync(note, { force: true });
  t.teardown(() => rmSync(note, { force: true }));
  const protocol = fileURLToPath(new URL('../src/protocol.js', import.meta.url));
  const writer = spawn(process.execPath, ['--input-type=module', '-e', `
    const { writeStartFailed } = await import(${JSON.stringify(protocol)});
    for (const end = Date.now() + 1500; Date.now() < end; ) writeStartFailed(${JSON.stringify(dir)}, 'the reason');
  `], { stdio: 'inherit' });
  let exited = false;
  writer.on('exit', () => (exited = true));
  let reads = 0;
  const seen = new Set<string>();
  for (let i = 1; !exited; i++) {
    if (i % 500 === 0) await new Promise((r) => setImmediate(r)); // lets the writer's exit be seen
    if (existsSync(note)) {
      try {
        seen.add(readFileSync(note, 'utf8'));
        reads++;
      } catch {
        /* between a rename and nothing: not a read */
      }
    }
  }
  t.ok(reads > 1000, `${reads} reads while it was being rewritten`);
  t.same([...seen], ['the reason\n'], 'every read saw the whole reason');
});
