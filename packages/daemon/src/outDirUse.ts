import { open, readFile, stat } from 'node:fs/promises';

/** `include!(concat!(env!("OUT_DIR")` and its include_str!/include_bytes! forms, any brackets and spacing. */
const INCLUDE_FROM_OUT_DIR = /\binclude(?:_str|_bytes)?!\s*[([{]\s*concat!\s*[([{]\s*env!\s*[([{]\s*"OUT_DIR"/g;

/** Inputs up to this size are read whole, as text; a larger one is searched for the name as it streams. */
const WHOLE_TEXT_MAX = 16 << 20;

/**
 * Whether a crate that read OUT_DIR (among its `envDeps`) has inputs
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
 *
 * Every input is read, whatever its name: `include!` takes code from a file
 * of any name (`gen.inc`, `tables.in`, none), and only `.rs` files were read
 * before, so a generated `gen.inc` holding `env!("OUT_DIR")` let a checkout
 * in another directory hit with the producer's OUT_DIR in its code. A data
 * file that mentions it (a README through `include_str!`) costs the hits
 * elsewhere too. An input larger than WHOLE_TEXT_MAX counts on any mention.
 */
export async function readsOutDirAsValue(envDeps: readonly string[], files: readonly string[]): Promise<boolean> {
  if (!envDeps.includes('OUT_DIR')) return false;
  for (const file of files) if (await namesOutDirAsValue(file)) return true;
  return false;
}

async function namesOutDirAsValue(file: string): Promise<boolean> {
  const size = await stat(file).then((st) => st.size, () => undefined);
  if (size === undefined) return false; // gone meanwhile: its digest won't match either
  if (size > WHOLE_TEXT_MAX) return contains(file, NAME);
  const text = await readFile(file, 'latin1').catch(() => '');
  const mentions = text.split('OUT_DIR').length - 1;
  return mentions > 0 && mentions > (text.match(INCLUDE_FROM_OUT_DIR)?.length ?? 0);
}

const NAME = Buffer.from('OUT_DIR', 'latin1');

/** Whether `needle` occurs in the file, read a chunk at a time (each chunk keeps the tail of the one before). */
async function contains(file: string, needle: Buffer): Promise<boolean> {
  const fh = await open(file, 'r').catch(() => undefined);
  if (!fh) return false;
  try {
    const keep = needle.length - 1;
    const buf = Buffer.alloc(1 << 20);
    let kept = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, kept, buf.length - kept, null);
      if (bytesRead === 0) return false;
      const end = kept + bytesRead;
      if (buf.subarray(0, end).includes(needle)) return true;
      kept = Math.min(keep, end);
      buf.copyWithin(0, end - kept, end);
    }
  } finally {
    await fh.close();
  }
}
