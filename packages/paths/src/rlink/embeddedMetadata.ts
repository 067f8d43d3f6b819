/**
 * Crates whose output embeds metadata (proc-macros, dylibs) carry their
 * encoded `.rmeta` inside the `.rlink`, as a LEB128 byte count and the raw
 * bytes, which start with rustc's metadata magic `rust\0\0\0`. That blob has
 * its own internal offsets, so a path string inside it must never be
 * rewritten to a different length: the scan skips these regions whole.
 * (Its paths stay the producer's, like debuginfo; see docs/ARCHITECTURE.md.)
 */
const METADATA_MAGIC = Buffer.from([0x72, 0x75, 0x73, 0x74, 0x00, 0x00, 0x00]);

export interface Region {
  /** Index of the LEB128 byte count. */
  start: number;
  /** One past the blob's last byte. */
  end: number;
}

export function embeddedMetadataRegions(buf: Uint8Array, from: number, to: number): Region[] {
  const out: Region[] = [];
  // Buffer.indexOf (memmem) finds each candidate: a byte-by-byte loop in JS was most of a
  // new daemon's first .rlink rewrite, before V8 had compiled it.
  const hay = Buffer.from(buf.buffer, buf.byteOffset, to);
  let i = hay.indexOf(METADATA_MAGIC, from);
  while (i !== -1) {
    const framed = lengthEndingAt(buf, i, from, to);
    if (framed) out.push(framed);
    i = hay.indexOf(METADATA_MAGIC, framed ? framed.end : i + 1);
  }
  return out;
}

/** A canonical LEB128 of 1..5 bytes that ends right before `blobStart` and whose count fits the body. */
function lengthEndingAt(buf: Uint8Array, blobStart: number, from: number, to: number): Region | undefined {
  for (let width = 5; width >= 1; width--) {
    const start = blobStart - width;
    if (start < from) continue;
    let value = 0;
    let ok = true;
    for (let k = 0; k < width; k++) {
      const b = buf[start + k]!;
      const last = k === width - 1;
      if (last ? b >= 0x80 || (b === 0 && width > 1) : b < 0x80) {
        ok = false;
        break;
      }
      value += (b & 0x7f) * 2 ** (7 * k);
    }
    if (ok && value >= METADATA_MAGIC.length && blobStart + value <= to) return { start, end: blobStart + value };
  }
  return undefined;
}
