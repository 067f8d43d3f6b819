import { parseAge } from '@splitcache/store/gc';

/**
 * The value of `--since` (stats, audit, report): an age back from now, as gc's
 * `--evict-older-than` takes one (`90s`, `45m`, `12h`, `7d`), a date or time as
 * Date.parse reads it (`2026-05-01`, an ISO time) or milliseconds since the
 * epoch; 0 when not given. undefined when it is none of these: the daemon would
 * take NaN as "since ever" and answer for every call.
 */
export function sinceTime(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return 0;
  const age = parseAge(value);
  if (age !== undefined) return now - age;
  const ms = Number.isFinite(Number(value)) ? Number(value) : Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** What a usage error says of a `--since` that sinceTime can't read. */
export const badSince = (value: string | undefined) => `--since '${value}' is neither an age (1h, 7d), a date nor a time in ms`;

/** The line each command's usage gives `--since`. */
export const SINCE_HELP = '  --since T      only calls since T: an age (90s, 45m, 12h, 7d), a date (2026-05-01, an ISO time) or ms since the epoch';
