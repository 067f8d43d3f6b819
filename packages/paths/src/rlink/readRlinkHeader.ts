import { SplitcacheError } from '@splitcache/errors';
import { readLeb128 } from './leb128.js';
import {
  HEADER_STRING_OFFSET,
  RLINK_FOOTER,
  RLINK_MAGIC,
  RLINK_VERSION,
  STRING_SENTINEL,
  VERSION_OFFSET,
  utf8Decoder,
} from './rlinkFormat.js';

export interface RlinkHeader {
  /** The format version after the magic; always RLINK_VERSION once parsed. */
  version: number;
  /** The version string rustc wrote, e.g. `1.95.0 (59807616e 2026-04-14)`. */
  rustcVersion: string;
  /** Index of the first byte after the header's 0xC1 sentinel. */
  bodyStart: number;
  /** Index of the footer's first byte; the body is [bodyStart, bodyEnd). */
  bodyEnd: number;
}

/**
 * Parses and checks the parts of a `.rlink` that splitcache relies on: the
 * magic, the version, the rustc version string and the footer. The body in
 * between is left alone (it is rustc's private serialization).
 */
export function readRlinkHeader(buf: Uint8Array): RlinkHeader {
  if (!startsWith(buf, 0, RLINK_MAGIC)) {
    throw new SplitcacheError('SPLITCACHE_RLINK_MAGIC', 'not an .rlink file: it does not start with "rustlink"');
  }
  if (buf.length < HEADER_STRING_OFFSET) {
    throw new SplitcacheError('SPLITCACHE_RLINK_VERSION', '.rlink ends inside its version number');
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const version = view.getUint32(VERSION_OFFSET, false);
  if (version !== RLINK_VERSION) {
    throw new SplitcacheError('SPLITCACHE_RLINK_VERSION', `.rlink format version ${version} is not the supported ${RLINK_VERSION}`);
  }
  const length = readLeb128(buf, HEADER_STRING_OFFSET, buf.length);
  if (length === undefined || length.next + length.value > buf.length) {
    throw new SplitcacheError('SPLITCACHE_RLINK_LEB128', '.rlink rustc version string has a bad or out-of-range LEB128 length');
  }
  const sentinel = length.next + length.value;
  if (buf[sentinel] !== STRING_SENTINEL) {
    throw new SplitcacheError('SPLITCACHE_RLINK_SENTINEL', '.rlink rustc version string is not followed by the 0xC1 sentinel');
  }
  let rustcVersion: string;
  try {
    rustcVersion = utf8Decoder.decode(buf.subarray(length.next, sentinel));
  } catch (cause) {
    throw new SplitcacheError('SPLITCACHE_RLINK_SENTINEL', '.rlink rustc version string is not valid UTF-8', { cause });
  }
  const bodyStart = sentinel + 1;
  const bodyEnd = buf.length - RLINK_FOOTER.length;
  if (bodyEnd < bodyStart || !startsWith(buf, bodyEnd, RLINK_FOOTER)) {
    throw new SplitcacheError('SPLITCACHE_RLINK_FOOTER', '.rlink does not end with "rust-end-file" (truncated, or from a rustc whose .rlink this version can\'t read)');
  }
  return { version, rustcVersion, bodyStart, bodyEnd };
}

function startsWith(buf: Uint8Array, at: number, expected: Uint8Array): boolean {
  if (at < 0 || at + expected.length > buf.length) return false;
  for (let i = 0; i < expected.length; i++) {
    if (buf[at + i] !== expected[i]) return false;
  }
  return true;
}
