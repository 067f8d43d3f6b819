import t from 'tap';
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

t.test('a chunk is relayed as it comes: nothing held back that cannot begin the marker', async (t) => {
  const out: Buffer[] = [];
  const tee = new TeeStderr(MARKER, (b) => out.push(b));
  t.equal(tee.push(Buffer.from('{"artifact":"libx.rmeta","emit":"metadata"}\n')), undefined);
  t.equal(Buffer.concat(out).toString(), '{"artifact":"libx.rmeta","emit":"metadata"}\n', 'all of it at once (cargo starts dependants on it)');
  t.equal(tee.push(Buffer.from('text\0abc')), undefined);
  t.equal(Buffer.concat(out).toString().endsWith('text'), true, 'a tail that may begin the marker waits');
  t.equal(tee.push(Buffer.from('xyz')), undefined);
  t.equal(Buffer.concat(out).toString().endsWith('text\0abcxyz'), true, 'and goes on once it does not');
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
