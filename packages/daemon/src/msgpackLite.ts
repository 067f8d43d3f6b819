/**
 * A small MessagePack codec for the thin client's frames.
 *
 * The daemon packs and unpacks frames with msgpackr. The client runs once per
 * rustc call, in a cold V8, and there msgpackr costs more than the frames are
 * worth: about 5 ms to load and compile its 36 KB, and 3–4 ms for its first
 * (interpreted) pack and unpack of a 3 KB request (measured on a 2-core
 * machine; docs/BENCHMARKS.md). This codec leans on node's native string and
 * buffer code instead, and is wire-compatible both ways: it writes plain
 * MessagePack, which msgpackr reads, and it reads everything msgpackr writes
 * for the daemon's replies, including msgpackr's `undefined` (fixext 1,
 * type 0) and timestamps (type -1). protocol.test.ts checks both directions.
 *
 * Encoding: an object is a map of its own enumerable keys, and map values
 * that are `undefined` are left out, as JSON does. Functions, symbols,
 * bigints, Maps, Sets, Dates and typed arrays other than Uint8Array are
 * refused with a TypeError: no frame of the protocol holds them.
 */

const MAX_DEPTH = 256;

class Writer {
  buf = Buffer.allocUnsafe(4096);
  pos = 0;

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  /** A type byte then an unsigned big-endian length of 1, 2 or 4 bytes. */
  head(type: number, width: 1 | 2 | 4, n: number): void {
    this.ensure(1 + width);
    this.buf[this.pos++] = type;
    this.buf.writeUIntBE(n, this.pos, width);
    this.pos += width;
  }

  /** A collection or string header: fix form when it fits, else 8/16/32-bit lengths. */
  sized(n: number, fix: number, fixMax: number, t8: number | undefined, t16: number, t32: number): void {
    if (n <= fixMax) this.byte(fix | n);
    else if (t8 !== undefined && n < 0x100) this.head(t8, 1, n);
    else if (n < 0x10000) this.head(t16, 2, n);
    else this.head(t32, 4, n);
  }

  number(v: number): void {
    if (Number.isInteger(v) && Math.abs(v) <= 0xffffffff) {
      if (v >= 0) {
        if (v < 0x80) return this.byte(v);
        if (v < 0x100) return this.head(0xcc, 1, v);
        if (v < 0x10000) return this.head(0xcd, 2, v);
        return this.head(0xce, 4, v);
      }
      if (v >= -32) return this.byte(v & 0xff);
      if (v >= -0x80) return this.signed(0xd0, 1, v);
      if (v >= -0x8000) return this.signed(0xd1, 2, v);
      if (v >= -0x80000000) return this.signed(0xd2, 4, v);
    }
    this.ensure(9);
    this.buf[this.pos++] = 0xcb;
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
  }

  signed(type: number, width: 1 | 2 | 4, v: number): void {
    this.ensure(1 + width);
    this.buf[this.pos++] = type;
    this.buf.writeIntBE(v, this.pos, width);
    this.pos += width;
  }

  string(s: string): void {
    const len = Buffer.byteLength(s);
    this.sized(len, 0xa0, 31, 0xd9, 0xda, 0xdb);
    this.ensure(len);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  bytes(b: Uint8Array): void {
    if (b.length < 0x100) this.head(0xc4, 1, b.length);
    else if (b.length < 0x10000) this.head(0xc5, 2, b.length);
    else this.head(0xc6, 4, b.length);
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  value(v: unknown, depth: number): void {
    if (depth > MAX_DEPTH) throw new TypeError('msgpack: value nested too deeply');
    switch (typeof v) {
      case 'string':
        return this.string(v);
      case 'number':
        return this.number(v);
      case 'boolean':
        return this.byte(v ? 0xc3 : 0xc2);
      case 'undefined':
        return this.byte(0xc0);
      case 'object':
        break;
      default:
        throw new TypeError(`msgpack: cannot encode a ${typeof v}`);
    }
    if (v === null) return this.byte(0xc0);
    if (v instanceof Uint8Array) return this.bytes(v);
    if (Array.isArray(v)) {
      this.sized(v.length, 0x90, 15, undefined, 0xdc, 0xdd);
      for (const item of v) this.value(item, depth + 1);
      return;
    }
    // Any other object is a map of its own enumerable keys (process.env is not a plain object);
    // containers that would silently lose their contents that way are refused.
    if (v instanceof Map || v instanceof Set || v instanceof Date || ArrayBuffer.isView(v)) throw new TypeError(`msgpack: cannot encode a ${v.constructor.name}`);
    const rec = v as Record<string, unknown>;
    const keys = Object.keys(rec).filter((k) => rec[k] !== undefined);
    this.sized(keys.length, 0x80, 15, undefined, 0xde, 0xdf);
    for (const k of keys) {
      this.string(k);
      this.value(rec[k], depth + 1);
    }
  }
}

/** Encodes a value as MessagePack. */
export function pack(value: unknown): Buffer {
  const w = new Writer();
  w.value(value, 0);
  return w.buf.subarray(0, w.pos);
}

class Reader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}

  need(n: number): number {
    const at = this.pos;
    if (at + n > this.buf.length) throw new RangeError('msgpack: truncated input');
    this.pos += n;
    return at;
  }

  uint(width: 1 | 2 | 4): number {
    return this.buf.readUIntBE(this.need(width), width);
  }

  str(n: number): string {
    const at = this.need(n);
    return this.buf.toString('utf8', at, at + n);
  }

  bin(n: number): Buffer {
    const at = this.need(n);
    return this.buf.subarray(at, at + n);
  }

  array(n: number, depth: number): unknown[] {
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) out[i] = this.value(depth + 1);
    return out;
  }

  map(n: number, depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      const k = String(this.value(depth + 1));
      const v = this.value(depth + 1);
      if (k === '__proto__') Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
      else out[k] = v;
    }
    return out;
  }

  ext(n: number): unknown {
    const type = this.buf.readInt8(this.need(1));
    const at = this.need(n);
    if (type === 0 && n === 1) return undefined; // msgpackr's undefined
    if (type === -1) {
      // The timestamp extension: 32-bit seconds, or 30-bit ns + 34-bit seconds, or 32-bit ns + 64-bit seconds.
      if (n === 4) return new Date(this.buf.readUInt32BE(at) * 1000);
      if (n === 8) {
        const hi = this.buf.readUInt32BE(at);
        const lo = this.buf.readUInt32BE(at + 4);
        return new Date(((hi & 0x3) * 0x100000000 + lo) * 1000 + (hi >>> 2) / 1e6);
      }
      if (n === 12) return new Date(Number(this.buf.readBigInt64BE(at + 4)) * 1000 + this.buf.readUInt32BE(at) / 1e6);
    }
    throw new RangeError(`msgpack: unknown extension type ${type} of ${n} bytes`);
  }

  int64(signed: boolean): number | bigint {
    const at = this.need(8);
    const v = signed ? this.buf.readBigInt64BE(at) : this.buf.readBigUInt64BE(at);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }

  value(depth: number): unknown {
    if (depth > MAX_DEPTH) throw new RangeError('msgpack: input nested too deeply');
    const t = this.buf[this.need(1)]!;
    if (t < 0x80) return t;
    if (t < 0x90) return this.map(t & 0x0f, depth);
    if (t < 0xa0) return this.array(t & 0x0f, depth);
    if (t < 0xc0) return this.str(t & 0x1f);
    if (t >= 0xe0) return t - 0x100;
    const b = this.buf;
    switch (t) {
      case 0xc0: return null;
      case 0xc2: return false;
      case 0xc3: return true;
      case 0xc4: return this.bin(this.uint(1));
      case 0xc5: return this.bin(this.uint(2));
      case 0xc6: return this.bin(this.uint(4));
      case 0xc7: return this.ext(this.uint(1));
      case 0xc8: return this.ext(this.uint(2));
      case 0xc9: return this.ext(this.uint(4));
      case 0xca: return b.readFloatBE(this.need(4));
      case 0xcb: return b.readDoubleBE(this.need(8));
      case 0xcc: return this.uint(1);
      case 0xcd: return this.uint(2);
      case 0xce: return this.uint(4);
      case 0xcf: return this.int64(false);
      case 0xd0: return b.readInt8(this.need(1));
      case 0xd1: return b.readInt16BE(this.need(2));
      case 0xd2: return b.readInt32BE(this.need(4));
      case 0xd3: return this.int64(true);
      case 0xd4: return this.ext(1);
      case 0xd5: return this.ext(2);
      case 0xd6: return this.ext(4);
      case 0xd7: return this.ext(8);
      case 0xd8: return this.ext(16);
      case 0xd9: return this.str(this.uint(1));
      case 0xda: return this.str(this.uint(2));
      case 0xdb: return this.str(this.uint(4));
      case 0xdc: return this.array(this.uint(2), depth);
      case 0xdd: return this.array(this.uint(4), depth);
      case 0xde: return this.map(this.uint(2), depth);
      case 0xdf: return this.map(this.uint(4), depth);
      default: throw new RangeError(`msgpack: unknown type byte 0x${t.toString(16)}`);
    }
  }
}

/** Decodes one MessagePack value that must fill `buf` exactly. */
export function unpack(buf: Uint8Array): unknown {
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const r = new Reader(b);
  const v = r.value(0);
  if (r.pos !== b.length) throw new RangeError(`msgpack: ${b.length - r.pos} bytes after the value`);
  return v;
}
