/** Hand-made `.rlink` bytes for the error cases and framing edge cases. */
export function pathString(value: string): number[] {
  const bytes = [...Buffer.from(value, 'utf8')];
  return [...leb(bytes.length), ...bytes, 0xc1];
}

export function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return out;
}

export function synthRlink(body: number[], opts: { version?: number; rustcVersion?: string } = {}): Buffer {
  const version = Buffer.alloc(4);
  version.writeUInt32BE(opts.version ?? 1);
  return Buffer.concat([
    Buffer.from('rustlink'),
    version,
    Buffer.from(pathString(opts.rustcVersion ?? '1.95.0 (59807616e 2026-04-14)')),
    Buffer.from(body),
    Buffer.from('rust-end-file'),
  ]);
}
