/**
 * Where a prefix may start and end inside free text (dep-info, JSON
 * diagnostic lines, rendered diagnostics with ANSI colours), so that `/ws`
 * matches in `"/ws/src"` and `--> /ws:1` but not inside `/x/ws` or `/wsx`.
 */

/** Characters that may follow a prefix: a path separator or a delimiter. */
const AFTER = new Set(['/', '"', "'", '`', ':', ')', ']', ',', ';', ' ', '\t', '\n', '\r', '\f', '\v', '\\', '\x1b']);

/**
 * Characters that continue a path name, so a prefix right after one is in
 * the middle of a longer path. Non-ASCII letters count too: `/home/josé/ws`
 * must not match `/ws`.
 */
const NAME_CHAR = /[A-Za-z0-9._~+@\-\u0080-\uffff]/;

/**
 * ANSI colour codes end in a letter right before a path: rustc renders
 * `\x1b[0m/ws/src/main.rs`, and inside a JSON line that is the six
 * characters `\u001b` then `[0m`. So a letter that ends a CSI sequence is a
 * boundary, not part of a name.
 */
const CSI_BEFORE = /(?:\x1b|\\u001[bB])\[[0-9;?]*[A-Za-z]$/;

/** How far back an ANSI sequence can start: `\u001b[` plus parameters. */
const CSI_LOOKBEHIND = 32;

/** JSON escapes that end in a letter: `\n`, `\t`, `\r`, `\f`, `\b`. */
const JSON_ESCAPE_LETTERS = new Set(['n', 't', 'r', 'f', 'b']);

export function isBoundaryAfter(text: string, at: number): boolean {
  return at >= text.length || AFTER.has(text[at]!);
}

export function isBoundaryBefore(text: string, at: number): boolean {
  if (at === 0) return true;
  const before = text[at - 1]!;
  if (before === '/') return false;
  if (!NAME_CHAR.test(before)) return true;
  if (/[A-Za-z]/.test(before) && CSI_BEFORE.test(text.slice(Math.max(0, at - CSI_LOOKBEHIND), at))) return true;
  return JSON_ESCAPE_LETTERS.has(before) && oddBackslashesBefore(text, at - 1);
}

/** True if an odd run of backslashes ends just before `at` (so text[at] is escaped). */
function oddBackslashesBefore(text: string, at: number): boolean {
  let count = 0;
  for (let k = at - 1; k >= 0 && text[k] === '\\'; k--) count++;
  return count % 2 === 1;
}
