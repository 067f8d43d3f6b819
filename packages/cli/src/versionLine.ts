/**
 * `splitcache --version`: this install's version, the commit it was built from and its cache
 * format, in rustc's shape (`rustc 1.95.0 (59807616e 2026-04-14)`). Two installs that say the same
 * cache format share a store's entries; a commit with `+changes` was built from an edited tree.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What `scripts/bundle.mjs` writes into `dist/build-info.json` at each build. */
export interface BuildInfo {
  commit?: string;
  date?: string;
  changed?: boolean;
  cacheVersion?: number;
}

const DIST = join(dirname(fileURLToPath(import.meta.url)), '..');

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The build's facts, each dropped where it is missing or of the wrong shape (a hand-edited or older file). */
export function readBuildInfo(file = join(DIST, 'build-info.json')): BuildInfo {
  const raw = readJson(file);
  if (typeof raw !== 'object' || raw === null) return {};
  const r = raw as Record<string, unknown>;
  const info: BuildInfo = {};
  if (typeof r.commit === 'string' && /^[0-9a-f]{7,64}$/.test(r.commit)) info.commit = r.commit;
  if (typeof r.date === 'string' && /^\d{4}-\d\d-\d\d$/.test(r.date)) info.date = r.date;
  if (r.changed === true) info.changed = true;
  if (Number.isSafeInteger(r.cacheVersion) && (r.cacheVersion as number) > 0) info.cacheVersion = r.cacheVersion as number;
  return info;
}

export function versionLine(info: BuildInfo = readBuildInfo()): string {
  const pkg = readJson(join(DIST, '..', 'package.json')) as { version?: unknown } | undefined;
  const version = typeof pkg?.version === 'string' ? pkg.version : 'unknown';
  const built = info.commit ? [`${info.commit.slice(0, 9)}${info.changed ? '+changes' : ''}`, info.date].filter(Boolean).join(' ') : '';
  const parts = [built, info.cacheVersion ? `cache format ${info.cacheVersion}` : ''].filter(Boolean);
  return `splitcache ${version}${parts.length ? ` (${parts.join(', ')})` : ''}\n`;
}
