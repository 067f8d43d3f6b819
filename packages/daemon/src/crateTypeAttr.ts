import { readFileSync } from 'node:fs';
import type { Invocation } from '@splitcache/rustc';
import { inputOnDisk } from './inputPath.js';

/**
 * `crate-type-attr` where a call gives no `--crate-type` and its root source names its own:
 * rustc takes the attribute, a lib then, where the call's arguments alone read as a bin (rustc's
 * default). Split as a bin, such a lib's rlib came out with another crate hash than a plain
 * build's (a hunting helper's repro: a Makefile's `rustc --crate-name attr lib.rs`), so it
 * runs plainly. Cargo always passes `--crate-type`.
 */
export function namesOwnCrateType(inv: Invocation, cwd: string): 'crate-type-attr' | undefined {
  if (inv.crateTypes.length > 0 || inv.test) return undefined;
  let text: string;
  try {
    text = readFileSync(inputOnDisk(cwd, inv.input!), 'utf8');
  } catch {
    return undefined; // the key's digest of it reports what is wrong
  }
  return innerAttributes(text).some((a) => /\bcrate_type\b/.test(a)) ? 'crate-type-attr' : undefined;
}

/**
 * The crate's inner attributes (`#![…]`), as they open its root source: the text inside each
 * one's brackets, its comments and string literals blanked. Read as rustc reads them, across
 * lines and comments (`#!` and `[crate_type = "lib"]` on two lines, a `]` in a block comment
 * inside the brackets), and only there: a doc comment or a string that quotes an attribute is
 * none (a review's repros of both).
 */
export function innerAttributes(text: string): string[] {
  const out: string[] = [];
  let i = text.startsWith('\uFEFF') ? 1 : 0;
  // A shebang line: `#!` not followed (past blanks and comments) by `[`.
  if (text.startsWith('#!', i) && text[skipTrivia(text, i + 2)] !== '[') i = text.indexOf('\n', i) < 0 ? text.length : text.indexOf('\n', i);
  for (;;) {
    i = skipTrivia(text, i);
    if (text[i] !== '#') return out;
    const bang = skipTrivia(text, i + 1);
    if (text[bang] !== '!') return out;
    const open = skipTrivia(text, bang + 1);
    if (text[open] !== '[') return out;
    let depth = 0;
    let body = '';
    let j = open;
    for (; j < text.length; j++) {
      const c = text[j]!;
      const next = skipTrivia(text, j);
      if (next !== j) {
        body += ' ';
        j = next - 1;
        continue;
      }
      if (c === '"') {
        const end = stringEnd(text, j);
        body += '""';
        j = end - 1;
        continue;
      }
      if (c === '[') depth++;
      else if (c === ']' && --depth === 0) break;
      body += c;
    }
    if (j >= text.length) return out; // unclosed: rustc's error, not ours
    out.push(body.slice(1));
    i = j + 1;
  }
}

/** Past blanks and comments (line comments, and block comments, nested) from `i`. */
function skipTrivia(text: string, i: number): number {
  for (;;) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (text.startsWith('//', i)) {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl + 1;
    } else if (text.startsWith('/*', i)) {
      let depth = 0;
      while (i < text.length) {
        if (text.startsWith('/*', i)) (depth++, (i += 2));
        else if (text.startsWith('*/', i)) {
          i += 2;
          if (--depth === 0) break;
        } else i++;
      }
    } else return i;
  }
}

/** Past the string literal that opens at `i` (`"…"`, escapes honoured). */
function stringEnd(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    if (text[j] === '\\') j++;
    else if (text[j] === '"') return j + 1;
  }
  return text.length;
}
