import { basename, resolve } from 'node:path';
import type { Stats } from 'node:fs';
import type { Digest, FileDigestMemo } from '@splitcache/hash';
import type { PrefixTable } from '@splitcache/paths';
import { archiveMembers, wholeOutputs, type Invocation } from '@splitcache/rustc';
import { readArchiveFile } from './archiveFile.js';
import { ARCHIVE, plainArchiveMembers } from './archiveKey.js';
import { nativeLibEntries } from './librarySearch.js';
import { asGiven } from './targetForm.js';
import { statOf } from './isFile.js';
import { changedSince } from './changedSince.js';

/**
 * The inputs a lib's (or staticlib's) result records for the archives of its -L native dirs that
 * its key holds only as ARCHIVE (archiveKey.ts, item 8) and that its output bundled: each one's
 * normalised path and digest, so a lookup after it changed misses. Or why the result is not stored:
 * the dirs' libraries are not the ones the key was built from (`input-modified-during-compile`,
 * as is an archive bundled that changed since the compile started), or an output can't be read as
 * an archive (`output-unreadable`). An archive counts as bundled where a member of its name is in the
 * output (packed: a `+whole-archive` library, a `#[link]` with `cfg`, -Zpacked-bundled-libs) or one of
 * its members' names is (rustc adds them one by one): two archives of one member name both count, which
 * costs a miss at most. Keyed by their bytes, a lib over a -sys crate that links its archive unbundled
 * (`static:-bundle`) or as a dylib missed after each change of its C, for an rlib of the same bytes.
 */
export async function bundledArchives(
  inv: Invocation, cwd: string, table: PrefixTable, files: FileDigestMemo,
  components: readonly [string, string][], since: (st: Stats) => number,
): Promise<[string, Digest][] | string> {
  const native = ([name]: [string, string]) => name.startsWith('native:') || name.startsWith('native-dir:');
  const keyed = components.filter(native);
  if (!keyed.some(([, value]) => value === ARCHIVE)) return [];
  const now = await nativeLibEntries(inv, cwd, table, files);
  if (now.length !== keyed.length || now.some(([name, value], i) => asGiven(name) !== keyed[i]![0] || asGiven(value) !== keyed[i]![1])) return 'input-modified-during-compile';
  const held = new Set<string>();
  const outDir = resolve(cwd, inv.outDir ?? '.');
  for (const output of wholeOutputs(inv).filter((n) => n.endsWith('.rlib') || n.endsWith('.a'))) {
    const names = readArchiveFile(resolve(outDir, output), archiveMembers);
    if (names === undefined) return 'output-unreadable';
    for (const n of names) held.add(basename(n));
  }
  const inputs: [string, Digest][] = [];
  for (const [, value, file] of now) {
    if (value !== ARCHIVE) continue;
    const members = await plainArchiveMembers(file, files);
    if (members === null) return 'input-modified-during-compile';
    if (!held.has(basename(file)) && !members.some((m) => held.has(basename(m)))) continue;
    const digest = await files.digest(file);
    const st = statOf(file);
    if (!st || changedSince(file, st, since(st))) return 'input-modified-during-compile';
    inputs.push([table.normalise(file), digest]);
  }
  return inputs;
}
