import { SplitcacheError } from '@splitcache/errors';

export interface DepInfo {
  /** Input files, in order of first appearance, as rustc wrote them. */
  files: string[];
  /** `# env-dep:NAME=value` lines; value undefined when rustc recorded the var as unset. */
  envDeps: { name: string; value?: string }[];
}

/**
 * Parses a rustc dep-info (`.d`) file: make rules, one to a line, plus
 * `# env-dep:` comment lines. rustc escapes only a space in a path (`\ `; as
 * gcc and clang, it writes every other byte as it is, a backslash or `#`
 * included), so a prerequisite list is ambiguous where a path ends in a
 * backslash (`end\ x` is `end\` and `x`, or `end x`). It also writes a rule
 * of its own, with no prerequisites, for each input (`path:`, against make's
 * error for a deleted file): those lines name one path each, whole, and the
 * inputs are read from them, in their order. A dep-info without them (none
 * that rustc writes) is read from its prerequisite lists. Env-dep values
 * escape `\\`, `\n` and `\r`. Comments start `# `: a line `#data.txt:` is the
 * rule of an input whose path starts with `#`, which was taken for a comment,
 * and that file's edits hit.
 *
 * Before, a path's `\\` and `\#` were unescaped as make would, to `\` and `#`:
 * `include_str!("x\\\\y.txt")` was recorded as the file `x\y.txt`, and a clean
 * build hit after the included file changed (or never stored, with no such
 * file); a line ending in a backslash (a path ending in one) was joined to
 * the next; and a value holding a carriage return was recorded as rustc
 * escaped it, and never matched again.
 */
export function parseDepInfo(text: string): DepInfo {
  const listed: string[] = [];
  const own: string[] = [];
  const envDeps: { name: string; value?: string }[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('# env-dep:')) {
      const body = line.slice('# env-dep:'.length);
      const eq = body.indexOf('=');
      envDeps.push(eq < 0 ? { name: body } : { name: body.slice(0, eq), value: unescapeEnv(body.slice(eq + 1)) });
      continue;
    }
    // rustc's comments start `# ` (`# env-dep:`, `# checksum:`); a path that starts with `#` is an
    // input's own rule (`#data.txt:`: rustc escapes no `#`), and a space after it would be escaped.
    if (line.startsWith('# ') || line.trim() === '') continue;
    const colon = findRuleColon(line);
    if (colon < 0) throw new SplitcacheError('SPLITCACHE_DEPINFO_MALFORMED', `dep-info line ${i + 1} has no rule separator`);
    if (colon === line.length - 1) own.push(unescapeSpaces(line.slice(0, colon)));
    else listed.push(...splitWords(line.slice(colon + 1)));
  }
  return { files: [...new Set(own.length > 0 ? own : listed)], envDeps };
}

/**
 * The rule's `:` is the first one followed by a space or the end of the line (paths may hold
 * `C:`-style colons elsewhere). rustc writes a space there; a tab it leaves unescaped in a path,
 * and `a:<tab>b.txt:` taken at its first colon lost the file.
 */
function findRuleColon(s: string): number {
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && s[i + 1] === ' ') {
      i++;
      continue;
    }
    if (s[i] === ':' && (i + 1 === s.length || s[i + 1] === ' ')) return i;
  }
  return -1;
}

function splitWords(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && s[i + 1] === ' ') {
      cur += s[i + 1];
      i++;
    } else if (c === ' ' || c === '\t') {
      if (cur) out.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  if (cur) out.push(cur);
  return out;
}

/** A path as rustc writes it, each space escaped, read back. */
function unescapeSpaces(s: string): string {
  return s.replace(/\\ /g, ' ');
}

function unescapeEnv(v: string): string {
  return v.replace(/\\([\\nr])/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : '\\'));
}
