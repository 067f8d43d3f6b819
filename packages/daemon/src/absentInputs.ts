import type { Stats } from 'node:fs';
import type { Digest } from '@splitcache/hash';
import { otherModuleFile } from '@splitcache/rustc';
import { inputOnDisk } from './inputPath.js';
import { statOf } from './isFile.js';
import { changedSince } from './changedSince.js';

/**
 * The digest a result records for a place that must still hold no file for
 * the result to be served: the other file a module could have been read from
 * (moduleFiles.ts). All zeros, which no content hashes to in practice, and a
 * digest in form, so remote records carry it as they carry any other input.
 *
 * Without it a `src/foo/mod.rs` added beside `src/foo.rs` hit: a clean build
 * without splitcache fails (E0761, rustc finds both), one with it was green,
 * on a CI runner with a warm cache as well, until some other edit missed.
 */
export const ABSENT: Digest = '0'.repeat(32);

/** Whether anything is at `path`, as rustc asks before it reads a module. */
export const isPresent = (path: string): boolean => statOf(path) !== undefined;

/**
 * The other module files of the `.rs` files rustc read (`files`, as dep-info
 * names them) that are missing now, right after the compile: each is
 * recorded with ABSENT. One that is there from before the compile (beside a
 * `#[path]` or `include!`d file, which took no part in the module lookup) is
 * not recorded. Undefined when one appeared while rustc ran (changed since
 * `since(st)`, the compile's start on the file's own clock: fsClock.ts): rustc
 * may have looked before or after, so nothing recorded would be sure to match
 * what it saw.
 */
export function absentModuleFiles(files: string[], cwd: string, since: (st: Stats) => number): string[] | undefined {
  const read = new Set(files);
  const out = new Set<string>();
  for (const f of files) {
    const other = otherModuleFile(f);
    if (other === undefined || read.has(other) || out.has(other)) continue;
    const path = inputOnDisk(cwd, other);
    const st = statOf(path);
    if (st === undefined) out.add(other);
    else if (changedSince(path, st, since(st))) return undefined;
  }
  return [...out];
}
