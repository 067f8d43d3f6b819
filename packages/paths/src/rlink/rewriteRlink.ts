import { SplitcacheError } from '@splitcache/errors';
import { encodeLeb128 } from './leb128.js';
import { isSafeRun } from './nextUnsafeIndex.js';
import { readRlinkHeader } from './readRlinkHeader.js';
import { STRING_SENTINEL, utf8Encoder } from './rlinkFormat.js';
import { scanRlinkStrings } from './scanRlinkStrings.js';
import { PLACEHOLDER_OPEN } from '../placeholder.js';

export interface RewriteRlinkOptions {
  /** The header's rustc version string must equal this (see rustcVersionForRlink). */
  expectRustcVersion?: string;
}

/**
 * Rewrites every path-like string in an `.rlink` through `map` (undefined or
 * the same string keeps it). A string whose length changes gets its LEB128
 * length re-encoded; the format has no checksum and no total length, so
 * nothing else changes.
 *
 * Never returns a broken file: the input's header and footer are checked
 * first, and the output is scanned again and must yield exactly the mapped
 * strings in order. Bad input bytes give a SplitcacheError; a `map` that
 * returns something that isn't a path (empty, not starting with '/' or a
 * placeholder, control characters, lone surrogates) is a TypeError.
 */
export function rewriteRlink(
  buf: Uint8Array,
  map: (s: string) => string | undefined,
  opts: RewriteRlinkOptions = {},
): Buffer {
  const header = readRlinkHeader(buf);
  if (opts.expectRustcVersion !== undefined && header.rustcVersion !== opts.expectRustcVersion) {
    throw new SplitcacheError(
      'SPLITCACHE_RLINK_RUSTC_MISMATCH',
      `.rlink was written by rustc ${JSON.stringify(header.rustcVersion)}, expected ${JSON.stringify(opts.expectRustcVersion)}`,
    );
  }
  const strings = scanRlinkStrings(buf, header.bodyStart, header.bodyEnd);
  const parts: Uint8Array[] = [];
  const expected: string[] = [];
  let copiedUpTo = 0;
  for (const found of strings) {
    const mapped = map(found.value);
    if (mapped === undefined || mapped === found.value) {
      expected.push(found.value);
      continue;
    }
    parts.push(buf.subarray(copiedUpTo, found.start), encodePathString(mapped));
    copiedUpTo = found.sentinel + 1;
    expected.push(mapped);
  }
  if (parts.length === 0) return Buffer.from(buf);
  parts.push(buf.subarray(copiedUpTo));
  const out = Buffer.concat(parts);
  checkRewritten(out, header.bodyStart, expected);
  return out;
}

const LONE_SURROGATE = /\p{Cs}/u;

/** LEB128 length, UTF-8 bytes, sentinel. */
function encodePathString(value: string): Uint8Array {
  const bytes = utf8Encoder.encode(value);
  const pathLike = value.startsWith('/') || value.startsWith(PLACEHOLDER_OPEN);
  // The encoder would silently turn a lone surrogate into U+FFFD; in a /u regex only a lone one matches \p{Cs}.
  if (!pathLike || LONE_SURROGATE.test(value) || !isSafeRun(bytes, 0, bytes.length)) {
    throw new TypeError(`rewriteRlink map returned ${JSON.stringify(value)}, which is not a path string it can write`);
  }
  const length = encodeLeb128(bytes.length);
  const out = new Uint8Array(length.length + bytes.length + 1);
  out.set(length, 0);
  out.set(bytes, length.length);
  out[out.length - 1] = STRING_SENTINEL;
  return out;
}

function checkRewritten(out: Buffer, bodyStart: number, expected: string[]): void {
  const header = readRlinkHeader(out);
  const again = scanRlinkStrings(out, header.bodyStart, header.bodyEnd).map((s) => s.value);
  const same = header.bodyStart === bodyStart && again.length === expected.length && again.every((v, i) => v === expected[i]);
  if (!same) {
    // A new length byte happened to frame a different string with its neighbours.
    throw new SplitcacheError(
      'SPLITCACHE_RLINK_LEB128',
      'rewritten .rlink would frame its strings differently from the original; refusing to write it',
    );
  }
}
