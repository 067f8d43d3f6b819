import t from 'tap';
import { embeddedMetadataRegions } from '../src/rlink/embeddedMetadata.js';

// The regions of embedded .rmeta blobs: a LEB128 byte count, then bytes that start with rustc's
// metadata magic. Found by a native search for the magic; each candidate must be framed.
const MAGIC = [0x72, 0x75, 0x73, 0x74, 0, 0, 0];
const blob = (n: number) => [n, ...MAGIC, ...Array<number>(n - MAGIC.length).fill(0x61)];

t.test('framed blobs are found in order, each skipped whole', async (t) => {
  const buf = Uint8Array.from([9, 9, ...blob(10), 1, 2, ...blob(8), 3]);
  t.same(embeddedMetadataRegions(buf, 0, buf.length), [
    { start: 2, end: 13 },
    { start: 15, end: 24 },
  ]);
  // A magic inside a region is part of it: one region, not two.
  const nested = Uint8Array.from([...blob(20).slice(0, 12), ...MAGIC, 0x61, 0x61]);
  t.same(embeddedMetadataRegions(nested, 0, nested.length), [{ start: 0, end: 21 }]);
});

t.test('candidates that are not framed, or not whole inside [from, to), are not regions', async (t) => {
  const unframed = Uint8Array.from([0x80, ...MAGIC, 1, 2, 3]); // 0x80 is not a canonical LEB128 end
  t.same(embeddedMetadataRegions(unframed, 0, unframed.length), []);
  const tooLong = Uint8Array.from([50, ...MAGIC, 1]); // a count past the end
  t.same(embeddedMetadataRegions(tooLong, 0, tooLong.length), []);
  const buf = Uint8Array.from([...blob(10), 7, ...blob(10)]);
  t.same(embeddedMetadataRegions(buf, 0, 16), [{ start: 0, end: 11 }], 'a magic that runs past `to` is not searched');
  t.same(embeddedMetadataRegions(buf, 12, buf.length), [{ start: 12, end: 23 }], 'nor one before `from`');
  t.same(embeddedMetadataRegions(buf, 1, buf.length), [{ start: 12, end: 23 }], 'nor one whose count lies before `from`');
  // A view into a larger buffer (as a blob read through a shared chunk is).
  const outer = new Uint8Array(64).fill(0x61);
  outer.set(blob(10), 30);
  t.same(embeddedMetadataRegions(outer.subarray(20, 50), 0, 30), [{ start: 10, end: 21 }]);
});
