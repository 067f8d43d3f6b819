import type { Digest } from '@splitcache/hash';

export interface EntrySummary {
  key: Digest;
  lastAccess: number;
  blobs: { digest: Digest; size: number }[];
}

export interface EvictionPlan {
  evict: Set<Digest>;
  keptBytes: number;
  freedEntries: number;
}

/**
 * Decides which entries go: those not hit since `olderThan`, and, newest hit
 * first, every entry from the first one whose blobs would take the kept total
 * past `maxBytes`. Blobs shared between entries count once. Pure:
 * the caller does the deleting.
 */
export function planEviction(entries: EntrySummary[], opts: { maxBytes: number; olderThan?: number }): EvictionPlan {
  const evict = new Set<Digest>();
  const kept = new Set<Digest>();
  let keptBytes = 0;
  const byRecency = [...entries].sort((a, b) => b.lastAccess - a.lastAccess);
  let full = false;
  for (const e of byRecency) {
    const extra = e.blobs.filter((b) => !kept.has(b.digest)).reduce((n, b) => n + b.size, 0);
    // Strict LRU: once one entry doesn't fit, every less recently hit one goes too.
    full ||= keptBytes + extra > opts.maxBytes;
    if (full || (opts.olderThan !== undefined && e.lastAccess < opts.olderThan)) {
      evict.add(e.key);
      continue;
    }
    for (const b of e.blobs) kept.add(b.digest);
    keptBytes += extra;
  }
  return { evict, keptBytes, freedEntries: evict.size };
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

/** A byte count in binary units: `512 B`, `3.4 MiB`; past 1024 EiB (a size limit no disk reaches) `8.7e+13 EiB`. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '–';
  let i = 0;
  let v = n;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  if (i === 0) return `${v} B`;
  return `${v >= 1024 ? v.toExponential(1) : v.toFixed(1)} ${UNITS[i]}`;
}

/**
 * Parses `10G`, `512M`, `1.5GiB`, `4096` into bytes; undefined when it isn't a size, as a
 * fraction of a byte (`0.4`) is not: rounded to 0, it read as `0`, no limit at all.
 */
export function parseSize(s: string | undefined): number | undefined {
  if (!s) return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?\s*$/i.exec(s);
  if (!m) return undefined;
  const mult = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  const bytes = Math.round(Number(m[1]) * mult);
  // A string of digits too long for a number is Infinity: `SPLITCACHE_MAX_SIZE=` and 400 nines was
  // no limit at all, with no word of it. (A limit past any disk is a number still: stats shows it.)
  if (!Number.isFinite(bytes)) return undefined;
  return bytes === 0 && Number(m[1]) !== 0 ? undefined : bytes;
}

/** Parses `30d`, `12h`, `45m`, `90s` into milliseconds. */
export function parseAge(s: string | undefined): number | undefined {
  if (!s) return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$/i.exec(s);
  if (!m) return undefined;
  return Number(m[1]) * { s: 1e3, m: 6e4, h: 36e5, d: 864e5 }[m[2]!.toLowerCase() as 's' | 'm' | 'h' | 'd'];
}
