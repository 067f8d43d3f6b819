import { parseAge } from '@splitcache/store/gc';

/**
 * An ISO-8601 date (`2026-05-01`, midnight UTC) or date and time (`2026-05-01T09:00`, local
 * time, with seconds, a fraction and a zone, `Z` or `+02:00`, as one likes): the only dates
 * `--since` reads. Date.parse alone took anything it could make a date of: `foo 12` was
 * 2001-12-01, `May 1` 2001-05-01, and `2026-02-30` March 2nd.
 */
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-](\d{2}):?(\d{2}))?)?$/i;

/**
 * The value of `--since` (stats, audit, report): an age back from now, as gc's
 * `--evict-older-than` takes one (`90s`, `45m`, `12h`, `7d`), an ISO-8601 date or
 * time (ISO_TIME) or milliseconds since the epoch; 0 when not given. undefined
 * when it is none of these: the daemon would take NaN as "since ever" and answer
 * for every call.
 */
export function sinceTime(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return 0;
  const age = parseAge(value);
  if (age !== undefined) return now - age;
  if (/^\d+$/.test(value)) return Number(value);
  return isoTime(value);
}

/** `value` as ISO_TIME reads it, in ms since the epoch; undefined unless it is one, every field in its range. */
function isoTime(value: string): number | undefined {
  const m = ISO_TIME.exec(value);
  if (!m) return undefined;
  const [year, month, day, hour = 0, minute = 0, second = 0, zoneHour = 0, zoneMinute = 0] = m.slice(1).map((f) => (f === undefined ? undefined : Number(f)));
  // Day 0 of the next month is the last of this one.
  const daysInMonth = new Date(Date.UTC(year!, month!, 0)).getUTCDate();
  if (month! < 1 || month! > 12 || day! < 1 || day! > daysInMonth || hour > 23 || minute > 59 || second > 59 || zoneHour > 23 || zoneMinute > 59) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** What a usage error says of a `--since` that sinceTime can't read. */
export const badSince = (value: string | undefined) => `--since '${value}' is neither an age (1h, 7d), an ISO date or time (2026-05-01, 2026-05-01T09:00Z) nor ms since the epoch`;

/** The line each command's usage gives `--since`. */
export const SINCE_HELP = `  --since T      only calls since T: an age (90s, 45m, 12h, 7d), an ISO-8601 date or time
                 (2026-05-01, 2026-05-01T09:00Z) or ms since the epoch`;
