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
