/**
 * The value of `--since` (stats, audit, report): a date or time as Date.parse
 * reads it (`2026-05-01`, an ISO time) or milliseconds since the epoch; 0
 * when not given. undefined when it is neither: the daemon would take NaN as
 * "since ever" and answer for every call.
 */
export function sinceTime(value: string | undefined): number | undefined {
  if (value === undefined) return 0;
  const ms = Number.isFinite(Number(value)) ? Number(value) : Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** What a usage error says of a `--since` that sinceTime can't read. */
export const badSince = (value: string | undefined) => `--since '${value}' is neither a date nor a time in ms`;

/** The line each command's usage gives `--since`. */
export const SINCE_HELP = '  --since T      only calls since T: a date (2026-05-01, an ISO time) or ms since the epoch';
