/**
 * Unsigned LEB128, as rustc's `MemEncoder` writes it: seven bits per byte,
 * low bits first, the high bit set on every byte but the last, and never
 * overlong (a multi-byte encoding never ends in a zero byte).
 */

/** 5 bytes carry 35 bits, far more than the length of any buffer we are given. */
const MAX_BYTES = 5;

/** One decoded integer and the index just past it. */
export interface Leb128 {
  value: number;
  next: number;
}

/**
 * Decodes the integer at `pos`, reading no byte at or past `end`. Returns
 * undefined when the bytes run out, the encoding is longer than MAX_BYTES or
 * it is overlong; callers decide whether that is an error or just "no match".
 */
export function readLeb128(buf: Uint8Array, pos: number, end: number): Leb128 | undefined {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < MAX_BYTES; i++) {
    const at = pos + i;
    if (at >= end) return undefined;
    const byte = buf[at]!;
    // Multiplication, not shifts: shifts would wrap at 32 bits.
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      if (byte === 0 && i > 0) return undefined;
      return { value, next: at + 1 };
    }
    scale *= 128;
  }
  return undefined;
}

/** The shortest encoding of a non-negative safe integer. */
export function encodeLeb128(value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(`LEB128 needs a non-negative safe integer, got ${value}`);
  }
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return Uint8Array.from(bytes);
}
