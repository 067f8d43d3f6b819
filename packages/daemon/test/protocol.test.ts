import t from 'tap';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { encodeFrame, FrameReader, socketPath, MAX_FRAME, type FrameCodec } from '../src/protocol.js';
import * as lite from '../src/msgpackLite.js';

/** The daemon's codec, configured as server.ts configures it. */
const daemon: FrameCodec = new Packr({ useRecords: false, moreTypes: false });
const codecs: [string, FrameCodec][] = [['msgpackr (daemon)', daemon], ['msgpackLite (client)', lite]];

t.test('frames round-trip whole and split at any byte, with either codec', async (t) => {
  for (const [name, codec] of codecs) {
    const msgs = [{ op: 'compile', argv: ['rustc', '-vV'], env: { A: 'b' } }, { op: 'done', stdout: new Uint8Array([1, 2, 3]), code: 0 }];
    const wire = Buffer.concat(msgs.map((m) => encodeFrame(m, codec)));
    let whole = 0;
    for (let cut = 0; cut <= wire.length; cut++) {
      const r = new FrameReader(codec);
      const got = [...r.push(wire.subarray(0, cut)), ...r.push(wire.subarray(cut))];
      if (got.length === 2 && (got[0] as { op: string }).op === 'compile') whole++;
    }
    t.equal(whole, wire.length + 1, `${name}: both frames at every cut`);
  }
});

/** Values of the shapes the protocol carries: maps of strings, numbers, booleans, bytes, arrays, nested maps. */
const frameValue = fc.letrec((tie) => ({
  leaf: fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.string({ maxLength: 300 }),
    fc.integer(),
    fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
    fc.double({ noNaN: true }),
    fc.constantFrom(0, -1, -32, -33, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, -(2 ** 31), -(2 ** 31) - 1, Number.MAX_SAFE_INTEGER),
    fc.boolean(),
    fc.constant(null),
    fc.uint8Array({ maxLength: 300 }).map((u) => Buffer.from(u)),
  ),
  // (msgpackr renames a __proto__ key on decode, by design; msgpackLite's handling is checked below.)
  node: fc.oneof({ depthSize: 'small' }, tie('leaf'), fc.array(tie('node'), { maxLength: 20 }), fc.dictionary(fc.string({ maxLength: 12 }).filter((k) => k !== '__proto__'), tie('node'), { maxKeys: 20, noNullPrototype: true })),
})).node;

t.test('msgpackLite and msgpackr read each other: client requests and daemon replies decode to the same values', async (t) => {
  let n = 0;
  fc.assert(
    fc.property(frameValue, (v) => {
      t.same(daemon.unpack(lite.pack(v)), v);
      t.same(lite.unpack(daemon.pack(v)), v);
      n++;
    }),
    { numRuns: 2000 },
  );
  t.ok(n >= 2000);
});

t.test('msgpackLite: long strings, bytes and collections take the 16- and 32-bit forms both codecs agree on', async (t) => {
  const big = { s: 'é'.repeat(70_000), b: Buffer.alloc(70_000, 7), a: Array.from({ length: 70_000 }, (_, i) => i), m: Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, i])) };
  t.same(daemon.unpack(lite.pack(big)), big);
  t.same(lite.unpack(daemon.pack(big)), big);
  // msgpackr writes every map with a 16-bit size; msgpackLite takes the 32-bit form past 65,535 keys.
  const wide = Object.fromEntries(Array.from({ length: 70_000 }, (_, i) => [`k${i}`, i]));
  t.equal(lite.pack(wide)[0], 0xdf);
  t.same(daemon.unpack(lite.pack(wide)), wide);
});

t.test("msgpackLite reads msgpackr's undefined, timestamps and 64-bit integers; leaves undefined map values out", async (t) => {
  t.same(lite.unpack(daemon.pack({ warning: undefined, link: 1 })), { warning: undefined, link: 1 });
  const d = new Date(1_700_000_000_123);
  t.equal((lite.unpack(daemon.pack(d)) as Date).getTime(), d.getTime(), 'a timestamp with milliseconds');
  t.equal((lite.unpack(daemon.pack(new Date(1_700_000_000_000))) as Date).getTime(), 1_700_000_000_000, 'a 32-bit timestamp');
  t.equal(lite.unpack(Buffer.from('cf0000010000000000', 'hex')), 2 ** 40);
  t.equal(lite.unpack(Buffer.from('d3ffffff0000000000', 'hex')), -(2 ** 40));
  t.equal(lite.unpack(Buffer.from('cfffffffffffffffff', 'hex')), 2n ** 64n - 1n, 'beyond 2^53 stays exact');
  t.same(Object.keys(daemon.unpack(lite.pack({ a: undefined, b: 2 })) as object), ['b']);
  const proto = lite.unpack(daemon.pack(JSON.parse('{"__proto__": {"polluted": 1}}'))) as Record<string, unknown>;
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'a __proto__ key pollutes nothing');
  t.same(Object.keys(proto), ['__proto__']);
  t.throws(() => lite.pack({ f: () => 1 }), TypeError);
  t.throws(() => lite.pack(new Map()), TypeError);
  t.throws(() => lite.pack(new Float64Array(2)), TypeError);
  t.same(daemon.unpack(lite.pack({ env: process.env })), { env: { ...process.env } }, 'process.env (not a plain object) is a map');
});

t.test('fuzz: both RPC decoders reject garbage cleanly and never hang', async (t) => {
  for (const [name, codec] of codecs) {
    let rejected = 0;
    let other = 0;
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 1, max: 64 }), (bytes, step) => {
        const r = new FrameReader(codec);
        try {
          for (let i = 0; i < bytes.length; i += step) r.push(Buffer.from(bytes.subarray(i, i + step)));
        } catch (e) {
          rejected++;
          if ((e as { code?: string }).code !== 'SPLITCACHE_DAEMON_PROTOCOL') other++;
        }
      }),
      { numRuns: 10_000 },
    );
    t.ok(rejected > 0, `${name}: some inputs were rejected (${rejected})`);
    t.equal(other, 0, `${name}: every rejection is SPLITCACHE_DAEMON_PROTOCOL`);
  }
  const huge = Buffer.alloc(8);
  huge.writeUInt32BE(MAX_FRAME + 1, 0);
  t.throws(() => new FrameReader(lite).push(huge), { code: 'SPLITCACHE_DAEMON_PROTOCOL' }, 'an oversized frame is refused before it is buffered');
  const deep = Buffer.concat([Buffer.alloc(100_000, 0x91), Buffer.from([0xc0])]);
  t.throws(() => lite.unpack(deep), RangeError, 'deep nesting is refused, not a stack overflow');
});

t.test('long store paths get a short socket path', async (t) => {
  const deep = '/tmp/' + 'd'.repeat(150);
  t.ok(Buffer.byteLength(socketPath(deep)) < 108);
  t.equal(socketPath(deep), socketPath(deep), 'stable');
  t.equal(socketPath('/s'), '/s/daemon.sock');
});
