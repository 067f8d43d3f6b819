/** A timestamp as `2025-11-21 23:45 UTC`: UTC, so a report reads the same wherever it is opened. */
export function formatTime(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return '–';
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}
