import { pack, Packr } from 'msgpackr';

/**
 * Above this, a packed value gets msgpackr's working buffer dropped after it (packValue).
 */
export const LARGE_PACK = 1024 * 1024;

const resetter = new Packr();

/**
 * msgpackr's pack (or `packr`'s), without keeping a large value's working buffer.
 * msgpackr packs every value into one buffer shared by all its packers, grown to
 * about twice the largest value packed so far, and never shrunk: once an entry
 * with 46 MB of warnings was packed, the daemon held a 92 MB buffer for good,
 * every small record packed after it was a view that kept it alive, and each
 * time it filled, another of the same size was made. After a large value the
 * packers start again from a small buffer (the large one goes with its view).
 */
export function packValue(value: unknown, packr?: Packr): Buffer {
  const out = packr ? packr.pack(value) : pack(value);
  if (out.length >= LARGE_PACK) resetter.useBuffer(Buffer.allocUnsafeSlow(8192));
  return out;
}
