import { isAbsolute, join } from 'node:path';
import type { FileDigestMemo } from '@splitcache/hash';
import type { PrefixTable } from '@splitcache/paths';
import { isFile } from './isFile.js';

/**
 * CARGO's value as a key holds it (item 5 of manifestKey.ts). Cargo sets it to its own path, and
 * a proc-macro may run that cargo while it expands, so what the key needs is which cargo it is,
 * not where. Normalised as a path, it was the same across checkouts only where cargo sat in the
 * call's sysroot (`<sysroot>/bin/cargo`, rustup's layout): a runner whose RUSTC named another copy
 * of the same toolchain keyed cargo's absolute path and missed every crate against a runner laid
 * out as rustup lays it out (0 of 26 in a helper's repro).
 *
 * So a cargo outside the sysroot that is byte for byte the sysroot's own is keyed as that one
 * (the value the common layout has always keyed, so no key of it changes), and any other by its
 * digest: the same cargo at another path on another runner (a distribution's) shares its keys,
 * while a cargo that is not the toolchain's own keys apart from it, as a proc-macro running it
 * would get another answer. Anything but a regular file that can be read keeps its normalised path.
 */
export async function cargoEnvValue(cargo: string, sysroot: string, table: PrefixTable, files: FileDigestMemo): Promise<string> {
  const own = join(sysroot, 'bin', 'cargo');
  if (cargo === own || !isAbsolute(cargo)) return table.normaliseText(cargo);
  try {
    // A regular file only: a FIFO named there blocked the daemon's thread, /dev/zero spun it (a review's finding).
    if (!isFile(cargo)) return table.normaliseText(cargo);
    const digest = await files.digest(cargo);
    const ownDigest = isFile(own) ? await files.digest(own).catch(() => undefined) : undefined;
    return digest === ownDigest ? table.normaliseText(own) : `cargo-file:${digest}`;
  } catch {
    return table.normaliseText(cargo);
  }
}
