import { readFile } from 'node:fs/promises';

/** `include!(concat!(env!("OUT_DIR")` and its include_str!/include_bytes! forms, any brackets and spacing. */
const INCLUDE_FROM_OUT_DIR = /\binclude(?:_str|_bytes)?!\s*[([{]\s*concat!\s*[([{]\s*env!\s*[([{]\s*"OUT_DIR"/g;

/**
 * Whether a crate that read OUT_DIR (among its `envDeps`) has Rust sources
 * (`files`: its dep-info inputs, absolute; files under OUT_DIR included) that
 * name OUT_DIR anywhere but in the forms that
 * include a file from under it. envDepValue normalises OUT_DIR only for a
 * crate that includes such a file: its path then reaches nothing but
 * debuginfo and panic locations. A crate that also pastes the value into its
 * code (`env!("OUT_DIR")` as a string, `concat!` to a file it reads at run
 * time) must keep it exactly, or a hit from another directory would read the
 * producer's files. Any other mention counts, comments included: a miss in
 * another directory costs time, a wrong path costs a build. A value that a
 * macro from another crate expands is not seen here (docs/ARCHITECTURE.md).
 * The answer depends only on the files' contents, which a result pins by
 * digest, so ingest and the remote tier decide alike.
 */
export async function readsOutDirAsValue(envDeps: readonly string[], files: readonly string[]): Promise<boolean> {
  if (!envDeps.includes('OUT_DIR')) return false;
  for (const file of files) {
    if (!file.endsWith('.rs')) continue;
    const text = await readFile(file, 'latin1').catch(() => '');
    const mentions = text.split('OUT_DIR').length - 1;
    if (mentions > 0 && mentions > (text.match(INCLUDE_FROM_OUT_DIR)?.length ?? 0)) return true;
  }
  return false;
}
