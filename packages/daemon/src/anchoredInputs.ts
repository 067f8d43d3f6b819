import { isAbsolute } from 'node:path';
import { PLACEHOLDER_OPEN, placeholderFor, type PrefixTable } from '@splitcache/paths';
import type { Invocation } from '@splitcache/rustc';

/**
 * Which absolute input paths may be recorded under a placeholder.
 *
 * An input dep-info names by absolute path under a prefix of this checkout
 * (`<cwd>/data.txt`) is expanded, in another checkout, to that checkout's
 * file. That is right where the path came from something that moves with the
 * checkout: the crate root's directory as cargo gives it (a registry or path
 * package's modules and includes), a path an argument holds (`-L`,
 * `--extern`, `-C profile-use`: arguments are keyed normalised), or an OUT_DIR or
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
export function relocationAnchors(inv: Pick<Invocation, 'input' | 'args'>, table: PrefixTable): string[] {
  const given: string[] = [];
  // A relative root's modules and includes are named relative too: only an absolute one anchors.
  if (inv.input && isAbsolute(inv.input)) given.push(dirnameOf(inv.input));
  // Every absolute path an argument holds, whole or after a `=`, `:` or `,` (`-L dependency=…`,
  // `--extern name=…`, `-C profile-use=…`): arguments are keyed normalised, so what rustc reads
  // from under one moves with the checkout as they do.
  for (const arg of inv.args) for (const m of arg.matchAll(/(?:^|[=:,])(\/[^,]*)/g)) given.push(m[1]!);
  const anchors = given.map((p) => table.normalise(p));
  const sysroot = table.entries.find((e) => e.name === 'sysroot');
  if (sysroot) anchors.push(table.normalise(sysroot.path));
  return anchors.filter((a) => a.startsWith(PLACEHOLDER_OPEN));
}

/**
 * The anchors a result's env-deps give. A value recorded normalised (OUT_DIR or
 * CARGO_MANIFEST_DIR read only to include from, CLIPPY_CONF_DIR) moves with the
 * checkout. One recorded exactly (read as a value too: includeDirUse.ts) anchors
 * only its own placeholder (`out_dir`, `pkg`), whose path is that value wherever
 * the env-dep holds: a lookup elsewhere misses on the value first.
 */
export function envDepAnchors(envDeps: readonly (readonly [string, string | null])[], table: PrefixTable): string[] {
  return envDeps.flatMap(([name, v]) => {
    if (v === null) return [];
    if (v.startsWith(PLACEHOLDER_OPEN)) return [v];
    const own = OWN_PLACEHOLDER[name];
    const entry = own ? table.entries.find((e) => e.name === own) : undefined;
    return entry && entry.path.replace(/\/+$/, '') === v.replace(/\/+$/, '') ? [placeholderFor(own!)] : [];
  });
}

/** The prefix each such variable's value is the path of (prefixes.ts). */
const OWN_PLACEHOLDER: Record<string, string> = { OUT_DIR: 'out_dir', CARGO_MANIFEST_DIR: 'pkg' };

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
