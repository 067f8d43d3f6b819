import { readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { SYNC_IO_MAX_BYTES } from '@splitcache/hash';

/**
 * An input file's bytes for ingest's searches of a crate's inputs (asmIncludes.ts,
 * includeDirUse.ts): undefined for a file gone or unreadable (its own digest fails the
 * result), `bytes` undefined for one larger than `maxBytes`, which the caller searches
 * otherwise or not at all.
 *
 * Small files are read synchronously, as the digest memo reads them: each fs/promises call is
 * a trip through libuv's thread pool, and a crate's inputs are read one after another. Over
 * tokio's 297 source files, the search for assembler directives took 64-150 ms with an async
 * stat and read per file (and the text decoded whole before the search), and 7-8 ms read
 * this way and searched as bytes; the search for OUT_DIR, 128-155 ms and 6-11 ms (the same
 * files, old and new measured alternately).
 */
export async function readInput(file: string, maxBytes: number): Promise<{ size: number; bytes?: Buffer } | undefined> {
  try {
    const size = statSync(file).size;
    if (size > maxBytes) return { size };
    return { size, bytes: size <= SYNC_IO_MAX_BYTES ? readFileSync(file) : await readFile(file) };
  } catch {
    return undefined;
  }
}
