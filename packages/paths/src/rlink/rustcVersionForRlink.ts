/**
 * The string rustc writes into an `.rlink` header, from the output of
 * `rustc --version` or `rustc -vV`: the first line without its `rustc `
 * prefix. Checked on 1.95 stable (`1.95.0 (59807616e 2026-04-14)`) and
 * nightly (`1.97.0-nightly (e50aa6fba 2026-05-19)`).
 */
export function rustcVersionForRlink(versionOutput: string): string {
  const firstLine = versionOutput.split('\n', 1)[0]!.trim();
  return firstLine.startsWith('rustc ') ? firstLine.slice('rustc '.length) : firstLine;
}
