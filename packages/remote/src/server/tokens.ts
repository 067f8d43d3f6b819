import { readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { oneLine, SplitcacheError } from '@splitcache/errors';

export type Scope = 'read' | 'read-write';

export interface TokenInfo {
  /** Shown in /status and the log instead of the token itself. */
  name: string;
  scope: Scope;
}

/**
 * Parses a tokens file: either JSON (`[{ "token", "scope", "name"? }]`, or
 * that list under a `tokens` key) or lines of `token scope [name]`, with `#`
 * comments. In the line form, commas also separate entries, so the whole
 * table fits in one environment variable (SPLITCACHE_SERVE_TOKENS).
 */
export function parseTokens(text: string, source: string): Map<string, TokenInfo> {
  const out = new Map<string, TokenInfo>();
  const add = (token: unknown, scope: unknown, name: unknown, where: string) => {
    if (typeof token !== 'string' || token === '' || /\s/.test(token)) throw bad(source, `${where}: a token must be a non-empty word`);
    if (scope !== 'read' && scope !== 'read-write') throw bad(source, `${where}: scope must be read or read-write, not ${JSON.stringify(scope)}`);
    if (out.has(token)) throw bad(source, `${where}: duplicate token`);
    out.set(token, { scope, name: typeof name === 'string' && name ? name : `token${out.size + 1}` });
  };
  const trimmed = text.trim();
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    let j: unknown;
    try {
      j = JSON.parse(trimmed);
    } catch (cause) {
      throw bad(source, `not valid JSON (${(cause as Error).message})`);
    }
    const list = Array.isArray(j) ? j : (j as { tokens?: unknown }).tokens;
    if (!Array.isArray(list)) throw bad(source, 'expected a list of { token, scope, name }');
    list.forEach((t: { token?: unknown; scope?: unknown; name?: unknown }, i) => add(t?.token, t?.scope, t?.name, `entry ${i + 1}`));
  } else {
    trimmed.split(/[\n,]/).forEach((raw, i) => {
      const line = raw.replace(/#.*/, '').trim();
      if (!line) return;
      const [token, scope, ...name] = line.split(/\s+/);
      add(token, scope, name.join(' '), `entry ${i + 1}`);
    });
  }
  if (out.size === 0) throw bad(source, 'no tokens');
  return out;
}

/** Tokens from `--tokens FILE`, else SPLITCACHE_SERVE_TOKENS, else undefined (an open server). */
export async function loadTokens(file: string | undefined, env: NodeJS.ProcessEnv): Promise<Map<string, TokenInfo> | undefined> {
  if (file) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (cause) {
      throw new SplitcacheError('SPLITCACHE_SERVE_CONFIG', `cannot read tokens file ${file}: ${(cause as NodeJS.ErrnoException).code}`, { cause });
    }
    return parseTokens(text, file);
  }
  // Only blanks is unset, as for every SPLITCACHE_* (docs/CONFIG.md).
  if (env.SPLITCACHE_SERVE_TOKENS?.trim()) return parseTokens(env.SPLITCACHE_SERVE_TOKENS, 'SPLITCACHE_SERVE_TOKENS');
  return undefined;
}

/**
 * The tokens of a `--tokens FILE`, read again when the file changes (its mtime or size),
 * looked at no more than once a second: a token is added or revoked by editing the file,
 * without a restart (before, the server kept the tokens it started with, and a revoked one
 * still read). An edit that can't be used (a syntax error, no tokens, a file gone) keeps
 * the tokens read before, and the log says why.
 */
export class TokensFile {
  private stamp: string;
  private checkedAt = Date.now();

  constructor(
    private readonly file: string,
    private table: Map<string, TokenInfo>,
    private readonly log?: (line: string) => void,
  ) {
    this.stamp = stampOf(file);
  }

  current(): Map<string, TokenInfo> {
    const now = Date.now();
    if (now - this.checkedAt < 1000) return this.table;
    this.checkedAt = now;
    const stamp = stampOf(this.file);
    if (stamp === this.stamp) return this.table;
    this.stamp = stamp;
    try {
      this.table = parseTokens(readFileSync(this.file, 'utf8'), this.file);
      this.log?.(`tokens file ${this.file} read again: ${this.table.size} token(s)`);
    } catch (err) {
      this.log?.(`tokens file ${this.file} changed, and can't be used (the tokens read before stay): ${oneLine(err)}`);
    }
    return this.table;
  }
}

/** What tells an edit: the change time too, which every write sets (two same-size writes within one mtime tick, `cp -p`). */
function stampOf(file: string): string {
  try {
    const st = statSync(file, { throwIfNoEntry: false, bigint: true });
    return st ? `${st.mtimeNs}:${st.ctimeNs}:${st.size}:${st.ino}` : 'gone';
  } catch (err) {
    // A link loop, a directory in the way, a permission: no tokens can be read, the old ones stay (as for a file gone).
    return `unreadable:${(err as NodeJS.ErrnoException).code}`;
  }
}

function bad(source: string, why: string): SplitcacheError {
  return new SplitcacheError('SPLITCACHE_SERVE_CONFIG', `tokens in ${source}: ${why}`);
}
