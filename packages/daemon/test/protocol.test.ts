import t from 'tap';
import fc from 'fast-check';
import { encodeFrame, FrameReader, socketPath, MAX_FRAME } from '../src/protocol.js';

t.test('frames round-trip whole and split at any byte', async (t) => {
  const msgs = [{ op: 'compile', argv: ['rustc', '-vV'], env: { A: 'b' } }, { op: 'done', stdout: new Uint8Array([1, 2, 3]), code: 0 }];
  const wire = Buffer.concat(msgs.map((m) => encodeFrame(m)));
  for (let cut = 0; cut <= wire.length; cut++) {
    const r = new FrameReader();
    const got = [...r.push(wire.subarray(0, cut)), ...r.push(wire.subarray(cut))];
    t.equal(got.length, 2);
  }
});

t.test('fuzz: the RPC decoder rejects garbage cleanly and never hangs', async (t) => {
  let rejected = 0;
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 1, max: 64 }), (bytes, step) => {
      const r = new FrameReader();
      try {
        for (let i = 0; i < bytes.length; i += step) r.push(Buffer.from(bytes.subarray(i, i + step)));
      } catch (e) {
        rejected++;
        t.ok(e instanceof Error, 'a decode failure is an Error the server turns into a closed connection');
      }
    }),
    { numRuns: 10_000 },
  );
  t.ok(rejected > 0, `some inputs were rejected (${rejected})`);
  const huge = Buffer.alloc(8);
  huge.writeUInt32BE(MAX_FRAME + 1, 0);
  t.throws(() => new FrameReader().push(huge), { code: 'SPLITCACHE_DAEMON_PROTOCOL' }, 'an oversized frame is refused before it is buffered');
});

t.test('long store paths get a short socket path', async (t) => {
  const deep = '/tmp/' + 'd'.repeat(150);
  t.ok(Buffer.byteLength(socketPath(deep)) < 108);
  t.equal(socketPath(deep), socketPath(deep), 'stable');
  t.equal(socketPath('/s'), '/s/daemon.sock');
});
