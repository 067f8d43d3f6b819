import t from 'tap';
import { Packr, unpack } from 'msgpackr';
import { LARGE_PACK, packValue } from '../src/packValue.js';

// msgpackr packs into one working buffer shared by every packer, grown to fit the largest value
// and kept: after a large entry, each small record packed was a view of it, and kept it alive.

t.test('after a large value, small values are packed apart from its buffer', async (t) => {
  const big = packValue({ stderr: Buffer.alloc(LARGE_PACK * 3, 7) });
  t.ok(big.buffer.byteLength >= LARGE_PACK * 3, 'the large value has a buffer of its size');
  const small = packValue({ n: 1 });
  t.not(small.buffer, big.buffer, 'a small value packed next is not a view of that buffer');
  t.ok(small.buffer.byteLength < LARGE_PACK, `its buffer is small (${small.buffer.byteLength} bytes)`);
  t.same(unpack(small), { n: 1 });
  t.same((unpack(big) as { stderr: Buffer }).stderr.length, LARGE_PACK * 3, 'the large one is whole');
});

t.test("a packer of its own shares the buffer, and is reset the same way", async (t) => {
  const packr = new Packr({ useRecords: false });
  const big = packValue({ payload: Buffer.alloc(LARGE_PACK * 2, 1) }, packr);
  const small = packValue({ n: 2 }, packr);
  t.not(small.buffer, big.buffer, 'apart');
  t.same(packr.unpack(small), { n: 2 });
});

t.test('small values are left in the shared buffer (no allocation each)', async (t) => {
  const a = packValue({ n: 3 });
  const b = packValue({ n: 4 });
  t.equal(a.buffer, b.buffer, 'one buffer');
});
