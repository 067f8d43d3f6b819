/** `part / whole` as `58.3 %`; a dash when there is nothing to divide by. */
export function formatPercent(part: number, whole: number): string {
  if (!(whole > 0) || !Number.isFinite(part)) return '–';
  return `${((100 * part) / whole).toFixed(1)} %`;
}
