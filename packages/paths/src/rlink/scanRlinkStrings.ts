import { readLeb128 } from './leb128.js';
import { isSafeRun, nextUnsafeIndex } from './nextUnsafeIndex.js';
import { STRING_SENTINEL, utf8Decoder } from './rlinkFormat.js';
import { PLACEHOLDER_OPEN } from '../placeholder.js';
import { embeddedMetadataRegions } from './embeddedMetadata.js';

/** One path-like string found in an `.rlink` body. */
export interface RlinkString {
  /** Index of the LEB128 length's first byte. */
  start: number;
  /** Index of the first content byte. */
  contentStart: number;
  /** Index of the 0xC1 sentinel (the content is [contentStart, sentinel)). */
  sentinel: number;
  value: string;
}

const SLASH = 0x2f;
const PLACEHOLDER_BYTES = new TextEncoder().encode(PLACEHOLDER_OPEN);

/**
 * Finds the path-like strings in [from, to) without parsing rustc's structs:
 * at each index, a candidate is a canonical LEB128 length L > 0 followed by L
 * bytes and a 0xC1 sentinel, where the bytes are well-formed UTF-8 with no
 * control characters and start with '/' or the placeholder opener. A match
 * is skipped whole; otherwise the scan moves on by one byte.
 *
 * Known limit: this is a heuristic. rustc puts a small Option/enum tag (0 or
 * 1) before each path, which can't itself frame a candidate, so false
 * matches need an unlikely byte pattern. rewriteRlink re-scans its output so
 * that a rewrite can never create a framing the scan reads differently.
 */
export function scanRlinkStrings(buf: Uint8Array, from: number, to: number): RlinkString[] {
  const isSafe = contentCheck(buf, from, to);
  const found: RlinkString[] = [];
  const skip = embeddedMetadataRegions(buf, from, to);
  let r = 0;
  let i = from;
  while (i < to) {
    if (r < skip.length && i >= skip[r]!.start) {
      // An embedded .rmeta: its strings are not ours to rewrite (see embeddedMetadata.ts).
      i = Math.max(i, skip[r]!.end);
      r++;
      continue;
    }
    // Hot loop, once per body byte: settle the common one-byte-length miss inline.
    const first = buf[i]!;
    let length: number;
    let contentStart: number;
    if (first < 0x80) {
      length = first;
      contentStart = i + 1;
    } else {
      const leb = readLeb128(buf, i, to);
      length = leb === undefined ? 0 : leb.value;
      contentStart = leb === undefined ? i + 1 : leb.next;
    }
    const sentinel = contentStart + length;
    if (
      length === 0 ||
      sentinel >= to ||
      buf[sentinel] !== STRING_SENTINEL ||
      !startsPathLike(buf, contentStart, sentinel) ||
      !isSafe(contentStart, sentinel)
    ) {
      i++;
      continue;
    }
    let value: string;
    try {
      value = utf8Decoder.decode(buf.subarray(contentStart, sentinel));
    } catch {
      i++; // unreachable after the safety check; kept so no decoder error escapes
      continue;
    }
    found.push({ start: i, contentStart, sentinel, value });
    i = sentinel + 1;
  }
  return found;
}

/**
 * Checks candidate contents. A real .rlink has few candidates that get this
 * far, so each is walked directly (the table costs as much as the whole
 * scan). Hostile bytes can make overlapping candidates re-walk the same
 * bytes, quadratic in the worst case; once the walks add up to a few times
 * the body, the check switches to a precomputed table and stays linear.
 */
function contentCheck(buf: Uint8Array, from: number, to: number): (start: number, end: number) => boolean {
  const budget = 4 * (to - from) + 4096;
  let spent = 0;
  let table: Int32Array | undefined;
  return (start, end) => {
    if (table === undefined) {
      spent += end - start;
      if (spent <= budget) return isSafeRun(buf, start, end);
      table = nextUnsafeIndex(buf, from, to);
    }
    return table[start - from]! >= end;
  };
}

function startsPathLike(buf: Uint8Array, at: number, end: number): boolean {
  if (buf[at] === SLASH) return true;
  if (end - at < PLACEHOLDER_BYTES.length) return false;
  for (let k = 0; k < PLACEHOLDER_BYTES.length; k++) {
    if (buf[at + k] !== PLACEHOLDER_BYTES[k]) return false;
  }
  return true;
}
