import { closeSync, openSync, readSync, statSync } from 'node:fs';

/**
 * Whether a shared library is a Rust dylib (`--crate-type dylib`): an ELF file with a `.rustc`
 * section, where rustc keeps the crate's metadata. rustc takes one from an `-L crate` or
 * `-L all` dir for an `extern crate` that no `--extern` names, as it takes an rlib, so such a
 * file is a key input (librarySearch.ts); a C library beside it (a build script's
 * `rustc-link-search` dir, a system dir) is not. Read once per file as it is (its inode, size
 * and mtime), then answered from memory. Not ELF, or unreadable: no.
 */
export function isRustDylib(path: string): boolean {
  let stamp: string;
  try {
    const st = statSync(path);
    if (!st.isFile()) return false;
    stamp = `${st.ino} ${st.size} ${st.mtimeMs}`;
  } catch {
    return false;
  }
  const known = seen.get(path);
  if (known?.stamp === stamp) return known.rust;
  let rust = false;
  try {
    rust = hasSection(path, '.rustc');
  } catch {
    rust = false;
  }
  if (seen.size >= 20_000) seen.clear(); // a safeguard: a daemon's life of system dirs holds far fewer
  seen.set(path, { stamp, rust });
  return rust;
}

const seen = new Map<string, { stamp: string; rust: boolean }>();

/** Whether the ELF file at `path` has a section of that name (32 or 64 bits, either byte order). */
function hasSection(path: string, name: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const read = (at: number, length: number) => {
      const buf = Buffer.alloc(length);
      if (readSync(fd, buf, 0, length, at) !== length) throw new Error('short read');
      return buf;
    };
    const head = read(0, 64);
    if (head.readUInt32BE(0) !== 0x7f454c46) return false;
    const wide = head[4] === 2;
    const le = head[5] === 1;
    const u16 = (b: Buffer, at: number) => (le ? b.readUInt16LE(at) : b.readUInt16BE(at));
    const u32 = (b: Buffer, at: number) => (le ? b.readUInt32LE(at) : b.readUInt32BE(at));
    const word = (b: Buffer, at: number) => (wide ? Number(le ? b.readBigUInt64LE(at) : b.readBigUInt64BE(at)) : u32(b, at));
    const shoff = word(head, wide ? 0x28 : 0x20);
    const shentsize = u16(head, wide ? 0x3a : 0x2e);
    const shnum = u16(head, wide ? 0x3c : 0x30);
    const shstrndx = u16(head, wide ? 0x3e : 0x32);
    if (shoff === 0 || shnum === 0 || shstrndx >= shnum || shentsize < (wide ? 0x28 : 0x18)) return false;
    const table = read(shoff, shnum * shentsize);
    const offsetOf = (i: number) => word(table, i * shentsize + (wide ? 0x18 : 0x10));
    const sizeOf = (i: number) => word(table, i * shentsize + (wide ? 0x20 : 0x14));
    const names = read(offsetOf(shstrndx), Math.min(sizeOf(shstrndx), 1 << 20));
    const wanted = Buffer.from(`${name}\0`);
    for (let i = 0; i < shnum; i++) {
      const at = u32(table, i * shentsize);
      if (at + wanted.length <= names.length && names.compare(wanted, 0, wanted.length, at, at + wanted.length) === 0) return true;
    }
    return false;
  } finally {
    closeSync(fd);
  }
}
