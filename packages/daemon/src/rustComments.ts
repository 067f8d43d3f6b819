/**
 * Rust source with its comments (line comments, nested block comments, doc comments) blanked
 * out, strings, raw strings and char literals kept as they are, so that a rule can look for
 * code alone: typenum's docs hold `#[macro_use] extern crate typenum;` in the example of a
 * block doc comment, which no build compiles. Only for rules where a comment read as code costs a hit and nothing more:
 * a literal misread here can make code after it read as a comment.
 */
export function withoutComments(text: string): string {
  if (!text.includes('//') && !text.includes('/*')) return text;
  let out = '';
  let i = 0;
  let from = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    const next = text[i + 1];
    if (c === '/' && next === '/') {
      const end = text.indexOf('\n', i);
      out += text.slice(from, i);
      i = from = end < 0 ? n : end;
    } else if (c === '/' && next === '*') {
      out += text.slice(from, i);
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (text[i] === '/' && text[i + 1] === '*') (depth++, (i += 2));
        else if (text[i] === '*' && text[i + 1] === '/') (depth--, (i += 2));
        else i++;
      }
      out += ' ';
      from = i;
    } else if (c === '"') {
      i = stringEnd(text, i + 1);
    } else if (c === 'r' && (next === '"' || next === '#') && rawStart(text, i)) {
      const open = /^r(#*)"/.exec(text.slice(i, i + 260));
      if (!open) i++;
      else {
        const close = text.indexOf(`"${open[1]}`, i + open[0].length);
        i = close < 0 ? n : close + 1 + open[1]!.length;
      }
    } else if (c === "'") {
      // A char literal ('x', '\n', '"'), else a lifetime or a label ('a), read on as code.
      const lit = /^'(?:\\(?:u\{[0-9a-fA-F_]*\}|x[0-9a-fA-F]{2}|.)|[^\\'\n]{1,4})'/.exec(text.slice(i, i + 16));
      i += lit ? lit[0].length : 1;
    } else i++;
  }
  return out + text.slice(from);
}

/** Where a string literal whose text starts at `i` ends (after its closing quote). */
function stringEnd(text: string, i: number): number {
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\\') i += 2;
    else if (c === '"') return i + 1;
    else i++;
  }
  return text.length;
}

/** Whether the `r` at `i` opens a raw string: no word before it, or a `b`/`c` prefix (`br"…"`, `cr#"…"#`) with none before that. */
function rawStart(text: string, i: number): boolean {
  const word = (at: number) => /\w/.test(text[at] ?? '');
  return !word(i - 1) || (/[bc]/.test(text[i - 1]!) && !word(i - 2));
}
