/**
 * For every index k in [from, to), the smallest index j >= k whose byte can't
 * be inside a path string: a control character (< 0x20 or 0x7F), or the
 * first byte of an ill-formed UTF-8 sequence (which includes every 0xC1
 * sentinel). Entry k - from holds it; `to` means "none before the end".
 *
 * Why precompute: the string scan tries a candidate at every byte, and a
 * candidate's content can be long. Checking each one byte by byte is
 * quadratic on hostile input; with this table each check is one lookup.
 *
 * UTF-8 resynchronises at every ASCII byte, so for a start index holding an
 * ASCII byte (every path starts with '/' or '@') one forward walk over the
 * whole range finds exactly the errors a fresh walk from that index would.
 */
export function nextUnsafeIndex(buf: Uint8Array, from: number, to: number): Int32Array {
  const n = Math.max(0, to - from);
  const next = new Int32Array(n + 1);
  // Mark with -1 on the forward walk, then fill "next" on a backward pass.
  let j = from;
  while (j < to) {
    const size = safeSequenceSize(buf, j, to);
    if (size === 0) {
      next[j - from] = -1;
      j++;
    } else {
      j += size;
    }
  }
  next[n] = to;
  for (let k = n - 1; k >= 0; k--) {
    next[k] = next[k] === -1 ? from + k : next[k + 1]!;
  }
  return next;
}

/** True if [from, to) is well-formed UTF-8 with no control characters. */
export function isSafeRun(buf: Uint8Array, from: number, to: number): boolean {
  let j = from;
  while (j < to) {
    const size = safeSequenceSize(buf, j, to);
    if (size === 0) return false;
    j += size;
  }
  return true;
}

/** Bytes in the well-formed, non-control UTF-8 sequence at `at`, or 0. */
export function safeSequenceSize(buf: Uint8Array, at: number, to: number): number {
  const lead = buf[at]!;
  if (lead < 0x20 || lead === 0x7f) return 0;
  if (lead < 0x80) return 1;
  let trailing: number;
  let low = 0x80;
  let high = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) {
    trailing = 1;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    trailing = 2;
    if (lead === 0xe0) low = 0xa0; // overlong
    if (lead === 0xed) high = 0x9f; // surrogates
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    trailing = 3;
    if (lead === 0xf0) low = 0x90; // overlong
    if (lead === 0xf4) high = 0x8f; // above U+10FFFF
  } else {
    return 0;
  }
  if (at + trailing >= to) return 0;
  for (let k = 1; k <= trailing; k++) {
    const byte = buf[at + k]!;
    if (byte < low || byte > high) return 0;
    low = 0x80;
    high = 0xbf;
  }
  return trailing + 1;
}
