import { isAbsolute, join } from 'node:path';
import { PLACEHOLDER_OPEN, type PrefixTable } from '@splitcache/paths';
import type { Invocation } from '@splitcache/rustc';

/**
 * Which absolute input paths may be recorded under a placeholder.
 *
 * An input dep-info names by absolute path under a prefix of this checkout
 * (`<cwd>/data.txt`) is expanded, in another checkout, to that checkout's
 * file. That is right where the path came from something that moves with the
 * checkout: the crate root's directory as cargo gives it (a registry or path
 * package's modules and includes), a `-L` or `--extern` path, or an OUT_DIR or
 * CARGO_MANIFEST_DIR the result records normalised (`include!(concat!(env!("OUT_DIR"), …))`).
 * It is wrong where the source names the path itself (`include_str!("/ci/a/data.txt")`,
 * `#[path = "/…"]`): the other checkout's rustc reads the same file, not its
 * own copy, so a hit that checked its own copy served outputs built from
 * content rustc would not have read. A result with such a path is not stored
 * (`absolute-input`), and one stored before this rule, or published by an
 * older writer, is not used. Recording the path as it is would key it right,
 * but the dep-info a hit writes would name the hitting checkout's file to
 * cargo, whose next build then missed a change to the file rustc read.
 *
 * The sysroot is an anchor too: the toolchain is keyed, and its own files
 * (`-Zbinary-dep-depinfo` lists its rlibs) are its own wherever it is.
 */
export function relocationAnchors(inv: Pick<Invocation, 'input' | 'libPaths' | 'externs' | 'outDir'>, cwd: string, table: PrefixTable): string[] {
  const given: string[] = [];
  if (inv.input && isAbsolute(inv.input)) given.push(dirnameOf(inv.input));
  for (const l of inv.libPaths) given.push(l.path);
  for (const e of inv.externs) if (e.path) given.push(dirnameOf(e.path));
  if (inv.outDir) given.push(inv.outDir);
  const anchors = given.map((p) => (isAbsolute(p) ? p : join(cwd, p))).map((p) => table.normalise(p));
  const sysroot = table.entries.find((e) => e.name === 'sysroot');
  if (sysroot) anchors.push(table.normalise(sysroot.path));
  return anchors.filter((a) => a.startsWith(PLACEHOLDER_OPEN));
}

/** The env-dep values a result records normalised (OUT_DIR, CARGO_MANIFEST_DIR, CLIPPY_CONF_DIR): anchors too. */
export function envDepAnchors(envDeps: readonly (readonly [string, string | null])[]): string[] {
  return envDeps.flatMap(([, v]) => (v !== null && v.startsWith(PLACEHOLDER_OPEN) ? [v] : []));
}

/** Whether a recorded input path (normalised) is absolute only as this checkout's, or under an anchor. */
export function isAnchored(path: string, anchors: readonly string[]): boolean {
  if (!path.startsWith(PLACEHOLDER_OPEN)) return true;
  return anchors.some((a) => path === a || path.startsWith(a.endsWith('/') ? a : `${a}/`));
}

/** The directory part of a path, as text (`..` kept, as rustc joins it). */
function dirnameOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash <= 0 ? '/' : path.slice(0, slash);
}
