import { basename, resolve } from 'node:path';
import { archiveMembers, outputStem, type Invocation } from '@splitcache/rustc';
import { readArchiveFile } from './archiveFile.js';
import { unkeyedNamedLibs } from './librarySearch.js';

/**
 * Whether a lib (or staticlib) cached whole bundled a native library its key left out: one only
 * an -l that never bundles names (`static:-bundle=vv`, `dylib=vv`: librarySearch.ts), which the
 * crate's own `#[link]` names another way (`name = "libvv.a"` with `+verbatim`; the -l overrides
 * only a `#[link]` of its own name). Its archive's members are looked for among the output's; the
 * output read wrong counts as bundling. Stored, the lib hit after the archive changed, with the
 * old one's code (a review's repro, cli/test/bundledUnderOtherName.test.ts).
 */
export function bundledUnkeyed(inv: Invocation, cwd: string): boolean {
  const left = unkeyedNamedLibs(inv, cwd);
  if (left.length === 0 || !inv.emit.some((e) => e.kind === 'link')) return false;
  const outDir = resolve(cwd, inv.outDir ?? '.');
  const stem = outputStem(inv);
  const outputs = [
    ...(inv.crateTypes.some((t) => t === 'lib' || t === 'rlib') ? [`lib${stem}.rlib`] : []),
    ...(inv.crateTypes.includes('staticlib') ? [`lib${stem}.a`] : []),
  ];
  const held = new Set<string>();
  for (const o of outputs) {
    const names = memberNames(resolve(outDir, o));
    if (names === undefined) return true;
    for (const n of names) held.add(basename(n));
  }
  // A packed bundle (-Zpacked-bundled-libs) holds the archive as one member of its file name.
  return left.some((lib) => held.has(basename(lib)) || (memberNames(lib) ?? []).some((m) => held.has(basename(m))));
}

/** The member names of the ar archive `file`; undefined where it can't be read as one. */
function memberNames(file: string): string[] | undefined {
  return readArchiveFile(file, archiveMembers);
}
