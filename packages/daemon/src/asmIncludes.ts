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
        if (m[2] === '' && text[m.index! + m[0].length] === '"') continue; // `".include"`: a string's end
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
 * A blank as the assembler takes it (a space or a tab), spelled as a Rust string may spell it: `\t`,
 * `\x09`, `\x20`, `\u{9}`, `\u{20}`, or a line continuation (`\` at a line's end, which skips
 * every blank and line break after it).
 */
const BLANK = String.raw`[ \t]|\\t|\\x(?:09|20)|\\u\{0*(?:9|20)\}|\\\r?\n[ \t\r\n]*`;
/**
 * `.incbin` or `.include`, then any blanks, then a quote: `"`, `\"`, or an escape the operand can't
 * be read through (`\x22`, `\u{22}`: `unknown`). No blank at all makes a directive too, as LLVM
 * reads `.incbin"one.bin"`; but a bare quote there may close a Rust string (`".include" => …`), so
 * without a blank only an operand read whole counts. Only real blanks and `\t` counted before: each
 * other spelling here assembled the blob, the result was stored without it, and a clean build
 * after it changed hit and linked the old bytes (a mutation audit's repro, then a review's).
 */
const DIRECTIVE = new RegExp(String.raw`\.(incbin|include)((?:${BLANK})*)(?=\\?"|\\x22|\\u\{0*22\})`, 'g');
/** The quoted path: no quote, backslash or line break inside, the same quoting at both ends. */
const OPERAND = /^(\\?)"([^"\\\r\n]+)\1"/;
