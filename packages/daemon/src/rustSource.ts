import { lstatSync, readlinkSync } from 'node:fs';
import { inputOnDisk } from './inputPath.js';
import { isFile } from './isFile.js';
import { callSysroot } from './customSysroot.js';
import type { RustcIdentity } from './rustcIdentity.js';

/**
 * The source trees a sysroot holds that rustc maps its own paths to (key item 19): the
 * `rust-src` component's (`lib/rustlib/src/rust`, found by `library/std/src/lib.rs`) and
 * `rustc-dev`'s (`lib/rustlib/rustc-src/rust`, by `compiler/rustc/src/main.rs`). Where one is
 * there, rustc writes std's code inlined into a crate with paths into it, not `/rustc/<commit>/…`
 * (in its objects' debuginfo and panic locations, with or without -g), and diagnostics that point
 * into std quote its lines. It is in no dep-info: a `rustup component add rust-src` (as
 * rust-analyzer users do) then served objects naming `/rustc/…`, and removing it served paths to
 * a tree no longer there (a read-set audit's repro). As rustc looks: a symlink at the tree's
 * place is read, and its target taken as written (relative to the working directory).
 */
export function rustSourceTrees(sysroot: string, cwd: string): string[] {
  return sourceTrees(sysroot, cwd).map(([base]) => base);
}

/** Each tree there with the name rustc gives it without the tree (`rustc`, `rustc-dev`). */
function sourceTrees(sysroot: string, cwd: string): [string, string][] {
  const found: [string, string][] = [];
  for (const [tree, probe, virtual] of [['lib/rustlib/src/rust', 'library/std/src/lib.rs', 'rustc'], ['lib/rustlib/rustc-src/rust', 'compiler/rustc/src/main.rs', 'rustc-dev']] as const) {
    let base = `${sysroot}/${tree}`;
    try {
      if (lstatSync(base).isSymbolicLink()) base = readlinkSync(base);
    } catch {
      continue; // not there
    }
    if (isFile(inputOnDisk(cwd, `${base}/${probe}`))) found.push([base, virtual]);
  }
  return found;
}

/**
 * Under SPLITCACHE_REMAP=1, flags that map the source trees back to the names rustc gives them
 * without the trees (`/rustc/<commit>`, `/rustc-dev/<commit>`), so that std's code inlined into a
 * crate names no machine's sysroot: unmapped, a hit on a runner whose toolchain was elsewhere
 * named the producer's tree, where remap promises no machine's paths (a review's repro). The
 * call's sysroot (its `--sysroot`, else the compiler's); a compiler whose `-vV` gives no commit: none.
 */
export function rustSourceRemaps(sysrootFlag: string | undefined, cwd: string, rustc: Pick<RustcIdentity, 'sysroot' | 'verbose'>): string[] {
  const commit = /^commit-hash: ([0-9a-f]+)$/m.exec(rustc.verbose)?.[1];
  if (commit === undefined) return [];
  return sourceTrees(callSysroot(sysrootFlag, cwd, rustc.sysroot), cwd).map(([tree, virtual]) => `--remap-path-prefix=${tree}=/${virtual}/${commit}`);
}
