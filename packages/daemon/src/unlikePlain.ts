/**
 * Where a hit's replay would write its outputs otherwise than a plain rustc does, the call
 * compiles instead (a miss, its entry kept), so it fails, or writes, as it would without
 * splitcache. Build systems other than cargo meet these (a hunting helper's repros):
 *
 * - `out-dir-missing`: an --out-dir that is not there, with dep-info asked for (rustc writes
 *   dep-info before it makes the dir for its other outputs, and fails: `error writing
 *   dependencies to …`; a replay made the dir and succeeded), or a file there.
 * - `output-read-only`: an output already there with no write bit (Bazel leaves its outputs
 *   0444). rustc refuses it (`output file … is not writeable`), root or not; a replay put a new
 *   file in its place.
 * - `output-symlink`: a dep-info file that is a symlink. rustc writes through it, so the link
 *   stays and its target gets the text; a replay put a file in the link's place.
 */
import { lstatSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { EntryRecord } from '@splitcache/store';
import type { Invocation } from '@splitcache/rustc';

export type UnlikePlain = 'out-dir-missing' | 'output-read-only' | 'output-symlink';
export const UNLIKE_PLAIN: readonly UnlikePlain[] = ['out-dir-missing', 'output-read-only', 'output-symlink'];

/** Why replaying `entry` for this call would not do what a plain rustc does, or undefined. */
export function unlikePlain(entry: Pick<EntryRecord, 'outputs'>, inv: Pick<Invocation, 'outDir'>, cwd: string): UnlikePlain | undefined {
  const outDir = resolve(cwd, inv.outDir!);
  let dir;
  try {
    dir = statSync(outDir, { throwIfNoEntry: false });
  } catch {
    return 'out-dir-missing'; // a link loop, a file above it: rustc can write nothing there either
  }
  // Not there (every call cached asks for dep-info, which rustc writes before it makes the dir), or a file.
  if (!dir?.isDirectory()) return 'out-dir-missing';
  try {
    // The files the call leaves: its objects and .rlink are splitcache's own, which no plain rustc leaves in place.
    for (const o of entry.outputs) {
      if (o.role !== 'output' || /[/\\\0]/.test(o.name)) continue; // a hostile name: refused by the replay (outputNames.ts)
      const st = lstatSync(join(outDir, o.name), { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isSymbolicLink() && o.form === 'text') return 'output-symlink';
      if (st.isFile() && (st.mode & 0o222) === 0) return 'output-read-only';
    }
  } catch {
    // Not to be read (EACCES, ELOOP): the replay meets it too, and says so.
  }
  return undefined;
}
