import { readdirSync } from 'node:fs';
import { inputOnDisk } from './inputPath.js';
import { realPathOf } from './prefixes.js';
import { isFile } from './isFile.js';

/** The sysroot a call compiles against: its `--sysroot`, as rustc opens it (inputPath.ts), else the compiler's own. */
export function callSysroot(sysrootFlag: string | undefined, cwd: string, ownSysroot: string): string {
  return sysrootFlag ? inputOnDisk(cwd, sysrootFlag) : ownSysroot;
}

/**
 * The library files of a sysroot given with `--sysroot` (a custom one: a
 * cargo-careful or xargo build of std, a sysroot assembled by hand) for the
 * call's target, `<sysroot>/lib/rustlib/<triple>/lib`, sorted; undefined
 * without the flag, or when it names the compiler's own sysroot, which the
 * rustc identity already covers. rustc takes std, core and any crate named
 * by `extern crate` without `--extern` from there, and no dep-info line
 * names them, so the key must hold their digests: with the flag's path
 * alone, a std (or another crate) rebuilt there hit with objects that
 * inlined the old one's code. Regular files only (symlinks followed), not
 * recursive, as rustc searches it.
 */
export function customSysrootLibs(sysrootFlag: string | undefined, cwd: string, ownSysroot: string, triple: string): string[] | undefined {
  if (sysrootFlag === undefined) return undefined;
  const sysroot = inputOnDisk(cwd, sysrootFlag); // as rustc opens it (inputPath.ts)
  if (realPathOf(sysroot) === realPathOf(ownSysroot)) return undefined;
  // Joined as text too: path.join drops a `link/..` in the flag, and named a dir beside the link.
  const dir = inputOnDisk(sysroot, `lib/rustlib/${triple}/lib`);
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return []; // no libraries for this target there: rustc finds none either
  }
  return names.map((n) => `${dir}/${n}`).filter((p) => isFile(p));
}
