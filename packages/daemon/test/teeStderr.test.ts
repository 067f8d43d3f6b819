import t from 'tap';
import fc from 'fast-check';
import { TeeStderr } from '../src/teeStderr.js';

// A tee run's stderr on the caller's connection, ended by its marker (teeStderr.ts).

const MARKER = Buffer.from('\0abc123.7 ', 'latin1');

function feed(chunks: (string | Buffer)[]): { out: Buffer[]; after: Buffer | undefined; at: number } {
  const out: Buffer[] = [];
  const tee = new TeeStderr(MARKER, (b) => out.push(Buffer.from(b)));
  for (let i = 0; i < chunks.length; i++) {
    const after = tee.push(Buffer.from(chunks[i]!));
    if (after !== undefined) return { out, after, at: i };
  }
  return { out, after: undefined, at: -1 };
}

t.test('all before the marker is stderr, all after it the answer', async (t) => {
  const r = feed(['warning: unused\n', '{"artifact":"x.rmeta"}\n\0abc123.7 ran 0 tee\n']);
  t.equal(Buffer.concat(r.out).toString(), 'warning: unused\n{"artifact":"x.rmeta"}\n');
  t.equal(r.after?.toString(), 'ran 0 tee\n');
});

t.test('a marker split across chunks, a byte at a time', async (t) => {
  const text = 'error[E0425]: x\n\0abc123.7 ran 1 tee\n';
  const r = feed([...text].map((c) => c));
  t.equal(Buffer.concat(r.out).toString(), 'error[E0425]: x\n');
  t.equal(r.after?.toString(), '', 'the answer begins right after it');
  t.equal(r.at, text.indexOf('\0') + MARKER.length - 1, 'found at its last byte');
});

t.test("a line goes on as soon as it ends; a line's start waits for its end, or for the marker", async (t) => {
  const out: Buffer[] = [];
  const tee = new TeeStderr(MARKER, (b) => out.push(b));
  t.equal(tee.push(Buffer.from('{"artifact":"libx.rmeta","emit":"metadata"}\n')), undefined);
  t.same(out.map(String), ['{"artifact":"libx.rmeta","emit":"metadata"}\n'], 'a whole line at once (cargo starts dependants on it)');
  t.equal(tee.push(Buffer.from('warning: a')), undefined);
  t.equal(tee.push(Buffer.from('b\0abc')), undefined);
  t.equal(out.length, 1, "a line's start, and what may begin the marker, wait");
  t.equal(tee.push(Buffer.from('xyz\nnext')), undefined);
  t.same(out.map(String).at(-1), 'warning: ab\0abcxyz\n', 'and go on whole once the line ends');
  t.equal(tee.push(Buffer.from('\0abc123.7 ran 0 tee\n'))?.toString(), 'ran 0 tee\n');
  t.same(out.map(String).at(-1), 'next', 'a last line with no newline goes at the marker');
});

// A daemon that died while it relayed a line cut in two left cargo half a JSON message (a hunting helper's repro).
t.test('a long line cut by the socket into many chunks goes on whole, in one piece', async (t) => {
  const line = `{"message":"${'y'.repeat(130_000)}"}\n`;
  const out: Buffer[] = [];
  const tee = new TeeStderr(MARKER, (b) => out.push(b));
  const wire = Buffer.from(line + line + '\0abc123.7 ran 0 tee\n');
  let answer: Buffer | undefined;
  for (let at = 0; at < wire.length && !answer; at += 65536) answer = tee.push(wire.subarray(at, at + 65536));
  t.same(out.map((b) => b.toString() === line || b.toString() === line + line), out.map(() => true), 'each piece relayed is whole lines');
  t.equal(Buffer.concat(out).toString(), line + line);
  t.equal(answer?.toString(), 'ran 0 tee\n');
});

t.test('NULs and a near miss of the marker in rustc output are stderr', async (t) => {
  const r = feed([Buffer.from([0, 0, 0x61]), '\0abc123.8 not this run\n', '\0abc123.7', ' ran 101 tee\n']);
  t.same(Buffer.concat(r.out), Buffer.concat([Buffer.from([0, 0, 0x61]), Buffer.from('\0abc123.8 not this run\n')]));
  t.equal(r.after?.toString(), 'ran 101 tee\n');
});

t.test('bytes that are not text go on unchanged', async (t) => {
  const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const r = feed([bytes, '\0abc123.7 ran 0 tee\n']);
  t.same(Buffer.concat(r.out), bytes);
});

t.test('fuzz: any stderr in any chunks comes out whole, in order, in whole lines, and the answer after it', async (t) => {
  // Bytes drawn mostly from what the marker is made of, so that near misses of it are common.
  const byte = fc.oneof(fc.constantFrom(0, 10, 0x20, 0x2e, ...Buffer.from('abc1237')), fc.integer({ min: 0, max: 255 }));
  let n = 0;
  fc.assert(
    fc.property(fc.array(byte, { maxLength: 300 }), fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 20 }), (bytes, cuts) => {
      const stderr = Buffer.from(bytes);
      if (stderr.includes(MARKER)) return true; // rustc never writes it
      const wire = Buffer.concat([stderr, MARKER, Buffer.from('ran 0 tee\nafter')]);
      const out: Buffer[] = [];
      const tee = new TeeStderr(MARKER, (b) => out.push(Buffer.from(b)));
      let answer: Buffer | undefined;
      let at = 0;
      for (let i = 0; at < wire.length && answer === undefined; i++) {
        const step = cuts[i % cuts.length]!;
        const rest = tee.push(wire.subarray(at, at + step));
        at += step;
        if (rest !== undefined) answer = Buffer.concat([rest, wire.subarray(at)]);
      }
      n++;
      // All of it, in order; the answer after it; every piece but the last ends a line.
      return Buffer.concat(out).equals(stderr) && answer?.toString('latin1') === 'ran 0 tee\nafter' && out.slice(0, -1).every((b) => b.at(-1) === 10);
    }),
    { numRuns: 3000 },
  );
  t.ok(n > 2500, `${n} runs`);
});
