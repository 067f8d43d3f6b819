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
  // The attribute as the scan below reads it, or anywhere its words stand as an attribute's (a doc
  // comment quoting one too): a call passed through needlessly costs a compile, a lib split as a
  // bin a wrong crate hash. The scan alone stopped early on a literal it did not know (a review's repro).
  const named = innerAttributes(text).some((a) => /\bcrate_type\b/.test(a)) || /#\s*!\s*\[\s*crate_type\b/.test(text);
  return named ? 'crate-type-attr' : undefined;
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
      const literal = literalEnd(text, j);
      if (literal !== undefined) {
        body += '""';
        j = literal - 1;
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

/**
 * Past the literal that opens at `i`, or undefined where none does: a string (`"…"`, escapes
 * honoured; `b`, `c` prefixes are plain characters before it), a raw string (`r"…"`, `r#"…"#`,
 * `br…`, `cr…`: no escapes), a char or byte (`']'`, `'"'`, `'\''`, `'\u{5d}'`; a lifetime `'a` is none).
 */
function literalEnd(text: string, i: number): number | undefined {
  const c = text[i]!;
  if (c === '"') {
    for (let j = i + 1; j < text.length; j++) {
      if (text[j] === '\\') j++;
      else if (text[j] === '"') return j + 1;
    }
    return text.length;
  }
  if (c === 'r' && !/[A-Za-z0-9_]/.test(text[i - 1] === 'b' || text[i - 1] === 'c' ? (text[i - 2] ?? '') : (text[i - 1] ?? ''))) {
    let j = i + 1;
    while (text[j] === '#') j++;
    if (text[j] !== '"') return undefined;
    const close = `"${'#'.repeat(j - i - 1)}`;
    const end = text.indexOf(close, j + 1);
    return end < 0 ? text.length : end + close.length;
  }
  if (c === "'") {
    if (text[i + 1] === '\\') {
      const end = text.indexOf("'", text[i + 2] === 'u' ? text.indexOf('}', i) : i + 3);
      return end < 0 ? text.length : end + 1;
    }
    const width = (text.codePointAt(i + 1) ?? 0) > 0xffff ? 2 : 1;
    return text[i + 1 + width] === "'" ? i + 2 + width : undefined;
  }
  return undefined;
}
