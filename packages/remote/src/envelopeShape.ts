/**
 * Whether a body has the shape of a record's envelope, told by walking its
 * bytes without building anything: one msgpack map of at most
 * MAX_ENVELOPE_FIELDS entries, whose keys are strings and whose values are
 * scalars, strings or bins (`{ v: 1, payload: <bin>, sig: <hex> | nil }`).
 *
 * The envelope was decoded whole before its shape was checked: a 60 MiB PUT
 * of nested nils held the server's one thread for ~15 s and took 1.2 GB
 * before its 422, while every other client's request waited (a hunting
 * helper's repro). A body of another shape is refused here, in one pass over
 * its first bytes, and a body of this shape decodes in a copy of its bin.
 */
const MAX_ENVELOPE_FIELDS = 8;

export function envelopeShaped(body: Uint8Array): boolean {
  let at = 0;
  /** The big-endian number in the next `n` bytes, or -1 past the end. */
  const num = (n: number): number => {
    if (at + n > body.length) return -1;
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 256 + body[at + i]!;
    at += n;
    return v;
  };
  const head = body[at++];
  const fields = head !== undefined && head >= 0x80 && head <= 0x8f ? head & 0x0f : head === 0xde ? num(2) : -1;
  if (fields < 0 || fields > MAX_ENVELOPE_FIELDS) return false;
  for (let i = 0; i < fields * 2; i++) {
    const b = body[at++];
    if (b === undefined) return false;
    const skip = i % 2 === 0 ? stringLength(b, num) : valueLength(b, num);
    if (skip < 0 || at + skip > body.length) return false;
    at += skip;
  }
  return at === body.length;
}

/** The bytes after a string's type byte `b` (its length read by `num`), or -1 for any other type. */
function stringLength(b: number, num: (n: number) => number): number {
  if (b >= 0xa0 && b <= 0xbf) return b & 0x1f;
  if (b === 0xd9) return num(1);
  if (b === 0xda) return num(2);
  if (b === 0xdb) return num(4);
  return -1;
}

/** The bytes after a scalar's, string's or bin's type byte `b`, or -1 for a container, an extension or no type. */
function valueLength(b: number, num: (n: number) => number): number {
  if (b <= 0x7f || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) return 0;
  if (b === 0xc4) return num(1);
  if (b === 0xc5) return num(2);
  if (b === 0xc6) return num(4);
  const fixed: Record<number, number> = { 0xca: 4, 0xcb: 8, 0xcc: 1, 0xcd: 2, 0xce: 4, 0xcf: 8, 0xd0: 1, 0xd1: 2, 0xd2: 4, 0xd3: 8 };
  return fixed[b] ?? stringLength(b, num);
}
