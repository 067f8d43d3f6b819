import { closeSync, openSync, readSync } from 'node:fs';
import { resolve } from 'node:path';
import { outputStem } from '@splitcache/rustc';
import { readsBootstrap } from './bootstrapRead.js';
import { bundledUnkeyed } from './bundledUnkeyed.js';
import type { PendingCall } from './pendingCall.js';

/**
 * Why a miss's outputs must not be stored, as a compile of the call's key, where they must not:
 * - `reads-rustc-bootstrap`: the -Zno-link half of a crate that links read RUSTC_BOOTSTRAP, which
 *   it ran with and a plain call lacks (bootstrapRead.ts);
 * - `other-compiler`: they were written by another rustc than the identity the call was keyed and
 *   planned with (its .rlink's header, or its rmeta's, names another version). The compiler's path
 *   runs another toolchain than when its identity was had, and nothing at that path changed: a
 *   RUSTC script (`exec /opt/rust/current/bin/rustc "$@"`) whose `current` link was moved from
 *   stable to nightly. Keyed as the old one, a crate that links was split with the old one's
 *   mangling pin (its binary unlike a plain build's), and a lib was stored under the old
 *   compiler's key, which a call outside cargo (no `-C metadata` of the -vV) then hit;
 * - `bundles-unkeyed-library`: a lib's rlib (or staticlib) holds a native library its key left out
 *   (bundledUnkeyed.ts).
 * A crate that links then runs again as given (DoneReply.rerun); the identity is forgotten (forgetRustc).
 * Outputs whose version names the commit and date of the identity's -vV are that compiler's own:
 * its -vV told another version (RUSTC_OVERRIDE_VERSION_STRING, which rustc does not write into
 * metadata), and they are not held against it (sameBuild).
 */
export async function unlikePlainRun(p: Pick<PendingCall, 'mode' | 'inv' | 'cwd' | 'rustc' | 'link' | 'plainBootstrap' | 'forgetRustc'>): Promise<NotLikePlain | undefined> {
  const reason = reasonOf(p);
  if (reason === 'other-compiler') await p.forgetRustc?.();
  return reason;
}

/**
 * Whether `wrote`, the version an output names (`rustc 1.95.0 (59807616e 2026-04-14)`), is of the
 * build of rustc whose -vV is `verbose`: its short hash begins the commit-hash line, and its date is
 * the commit-date line. Only a compiler that names its commit can be told so. Not by probing the
 * compiler again once its outputs disagreed, as before: the probe finds the compiler as it is then,
 * and a link moved to nightly for one compile and back before the probe gave the old identity again;
 * the nightly outputs were stored under the stable key, and the check was off for that identity for
 * the daemon's life (cli/test/movedToolchain.test.ts).
 */
export function sameBuild(wrote: string, verbose: string): boolean {
  const named = /\(([0-9a-f]{7,40}) (\d{4}-\d{2}-\d{2})\)$/.exec(wrote);
  const hash = /^commit-hash: ([0-9a-f]{40})$/m.exec(verbose)?.[1];
  const date = /^commit-date: (\S+)$/m.exec(verbose)?.[1];
  return named !== null && hash !== undefined && hash.startsWith(named[1]!) && date === named[2];
}

type NotLikePlain = 'reads-rustc-bootstrap' | 'other-compiler' | 'bundles-unkeyed-library';

function reasonOf(p: Pick<PendingCall, 'mode' | 'inv' | 'cwd' | 'rustc' | 'link' | 'plainBootstrap'>): NotLikePlain | undefined {
  const outDir = resolve(p.cwd, p.inv.outDir ?? '.');
  const stem = outputStem(p.inv);
  if (p.mode === 'split' && p.link) {
    if (readsBootstrap(resolve(outDir, `${stem}.d`), p.plainBootstrap)) return 'reads-rustc-bootstrap';
    const wrote = stringAfter(readHead(p.link.rlinkPath, 0, 512), 'rustlink', 4);
    return wrote !== undefined && wrote !== p.rustc.rlinkVersion && !sameBuild(wrote, p.rustc.verbose) ? 'other-compiler' : undefined;
  }
  const wrote = metadataVersion(p.inv.emit.some((e) => e.kind === 'metadata') ? resolve(outDir, `lib${stem}.rmeta`) : resolve(outDir, `lib${stem}.rlib`));
  if (wrote !== undefined && wrote !== `rustc ${p.rustc.rlinkVersion}` && !sameBuild(wrote, p.rustc.verbose)) return 'other-compiler';
  return bundledUnkeyed(p.inv, p.cwd) ? 'bundles-unkeyed-library' : undefined;
}

/** Metadata's magic: `rust`, three zero bytes, then its format version. */
const RMETA_MAGIC = 'rust\0\0\0';

/**
 * The version string an rmeta starts with (`rustc 1.95.0 (…)`), in a `.rmeta` file or an rlib's
 * `lib.rmeta` member (looked for among its first members' 60-byte headers: wrappedVersion);
 * undefined where there is none to read.
 */
function metadataVersion(file: string): string | undefined {
  const head = readHead(file, 0, 256);
  if (head.toString('latin1', 0, 8) !== '!<arch>\n') return stringAfter(head, RMETA_MAGIC, 1 + 8);
  for (let pos = 8, n = 0; n < 8; n++) {
    const header = readHead(file, pos, 60);
    if (header.length < 60) return undefined;
    const size = Number(header.toString('latin1', 48, 58).trim());
    if (!Number.isInteger(size)) return undefined;
    if (header.toString('latin1', 0, 16).trimEnd() === 'lib.rmeta/') return wrappedVersion(readHead(file, pos + 60, Math.min(size, 4096)));
    pos += 60 + size + (size % 2);
  }
  return undefined;
}

/**
 * The version in an rlib's `lib.rmeta` member, which rustc (1.95 and 1.97 alike) wraps in an
 * object file whose `.rmeta` section holds the metadata (at 0x60 in an ELF one here): the
 * magic is looked for in the member's head. Read as bare metadata, as before, it was never
 * found, and a lib compiled with `--emit=link` alone by another rustc was stored.
 */
function wrappedVersion(member: Buffer): string | undefined {
  const at = member.indexOf(RMETA_MAGIC, 0, 'latin1');
  return at < 0 ? undefined : stringAfter(member.subarray(at, at + 256), RMETA_MAGIC, 1 + 8);
}

/**
 * The string at the start of `buf` after `magic` and `skip` more bytes, as rustc writes one
 * (a LEB128 byte length, the bytes, a 0xC1 sentinel); undefined where that isn't what is there.
 */
function stringAfter(buf: Buffer, magic: string, skip: number): string | undefined {
  if (buf.toString('latin1', 0, magic.length) !== magic) return undefined;
  let at = magic.length + skip;
  let length = 0;
  for (let shift = 0; at < buf.length && shift < 28; shift += 7) {
    const byte = buf[at++]!;
    length |= (byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return buf[at + length] === 0xc1 ? buf.toString('utf8', at, at + length) : undefined;
  }
  return undefined;
}

/** Up to `length` bytes of `file` at `position`; none where it can't be read. */
function readHead(file: string, position: number, length: number): Buffer {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const buf = Buffer.alloc(length);
    return buf.subarray(0, readSync(fd, buf, 0, length, position));
  } catch {
    return Buffer.alloc(0);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
