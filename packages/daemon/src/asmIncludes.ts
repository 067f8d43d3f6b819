import { inputOnDisk } from './inputPath.js';
import { readInput } from './inputBytes.js';

/**
 * The files that the assembler reads for a crate's `asm!`/`global_asm!` code: `.incbin "blob.bin"`
 * and `.include "more.s"`, in a Rust string (`\"blob.bin\"`), a raw one, or a `.s` file brought in
 * with `include_str!`. LLVM opens them while rustc codegens, from rustc's working directory, and
 * rustc's dep-info names none of them, so a result recorded without them hit after the blob
 * changed, and a clean build linked the old bytes where one without splitcache takes the new.
 *
 * Each directive found in `files` (the dep-info inputs, absolute) and in the `.include`d files
 * themselves yields a path as written (for the result's inputs, read from `cwd` as LLVM reads
 * it; ingest leaves out one with no file there, which no assembler read: a compile whose asm
 * names a missing file fails). A directive whose operand is not a plain quoted path (built with `concat!`, say, or
 * holding a backslash) can't be followed: `unknown` is true and the result must not be stored.
 * A method call (`.include("dir")`, as cc's builder has) has no space before its bracket and
 * is no directive. An input larger than SCAN_MAX_BYTES (a blob `include_bytes!` takes) is not
 * read: assembler text that size is not brought in with `include_str!`.
 */
export async function asmIncludes(files: readonly string[], cwd: string): Promise<{ paths: string[]; unknown: boolean }> {
  const paths: string[] = [];
  let unknown = false;
  const queue = [...files];
  const scanned = new Set<string>();
  while (queue.length > 0) {
    const file = queue.shift()!;
    if (scanned.has(file)) continue;
    scanned.add(file);
    // An input gone: its own digest fails the result (an .include'd one, its digest in ingest).
    const bytes = (await readInput(file, SCAN_MAX_BYTES))?.bytes;
    if (!bytes || bytes.indexOf('.inc') === -1) continue;
    const text = bytes.toString('latin1');
    for (const m of text.matchAll(DIRECTIVE)) {
      const operand = OPERAND.exec(text.slice(m.index! + m[0].length));
      if (!operand) {
        unknown = true;
        continue;
      }
      const path = operand[2]!;
      if (!paths.includes(path)) paths.push(path);
      if (m[1] === 'include') queue.push(inputOnDisk(cwd, path));
    }
  }
  return { paths, unknown };
}

/** Inputs up to this size are searched. */
const SCAN_MAX_BYTES = 16 << 20;
/**
 * `.incbin` or `.include` followed by blanks and a quote (`\"` inside a Rust string). A blank may
 * be spelled as the Rust string spells it: `\t`, or a line continuation (`\` at a line's end).
 * Only real blanks counted before, and `".incbin\t\"one.bin\""`, which the assembler reads as a
 * tab, was no directive: stored without the blob, a clean build after it changed hit and linked
 * the old bytes (a mutation audit's repro).
 */
const DIRECTIVE = /\.(incbin|include)(?:[ \t]|\\t|\\\r?\n)+(?=\\?")/g;
/** The quoted path: no quote, backslash or line break inside, the same quoting at both ends. */
const OPERAND = /^(\\?)"([^"\\\r\n]+)\1"/;
