import { SplitcacheError } from '@splitcache/errors';

export interface DepInfo {
  /** Input files, in order of first appearance, as rustc wrote them. */
  files: string[];
  /** `# env-dep:NAME=value` lines; value undefined when rustc recorded the var as unset. */
  envDeps: { name: string; value?: string }[];
}

/**
 * Parses a rustc dep-info (`.d`) file: make rules whose prerequisites are the
 * input files (`\ ` escapes a space), plus `# env-dep:` comment lines whose
 * values escape `\` as `\\` and newline as `\n`.
 */
export function parseDepInfo(text: string): DepInfo {
  const files: string[] = [];
  const seen = new Set<string>();
  const envDeps: { name: string; value?: string }[] = [];
  const lines = text.split('\n');
  let logical = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('# env-dep:')) {
      const body = line.slice('# env-dep:'.length);
      const eq = body.indexOf('=');
      envDeps.push(eq < 0 ? { name: body } : { name: body.slice(0, eq), value: unescapeEnv(body.slice(eq + 1)) });
      continue;
    }
    if (line.startsWith('#')) continue;
    if (line.endsWith('\\') && !line.endsWith('\\\\')) {
      logical += line.slice(0, -1) + ' ';
      continue;
    }
    logical += line;
    if (logical.trim() === '') {
      logical = '';
      continue;
    }
    const colon = findRuleColon(logical);
    if (colon < 0) throw new SplitcacheError('SPLITCACHE_DEPINFO_MALFORMED', `dep-info line ${i + 1} has no rule separator`);
    for (const f of splitWords(logical.slice(colon + 1))) {
      if (!seen.has(f)) {
        seen.add(f);
        files.push(f);
      }
    }
    logical = '';
  }
  return { files, envDeps };
}

/** The rule's `:` is the first one followed by whitespace or end of line (paths may hold `C:`-style colons elsewhere). */
function findRuleColon(s: string): number {
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\') {
      i++;
      continue;
    }
    if (s[i] === ':' && (i + 1 === s.length || s[i + 1] === ' ' || s[i + 1] === '\t')) return i;
  }
  return -1;
}

function splitWords(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && (s[i + 1] === ' ' || s[i + 1] === '\\' || s[i + 1] === '#')) {
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

function unescapeEnv(v: string): string {
  return v.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
}
