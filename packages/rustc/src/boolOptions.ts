/**
 * Boolean `-Z` options as rustc reads them: given bare, or `=y`, `=yes`, `=on`, `=true`, it is on;
 * `=n`, `=no`, `=off`, `=false` turn it off, as if it were not given; any other value rustc
 * refuses (checked with 1.95 and nightly 1.97). The last one given wins.
 */

/** The values rustc reads as off for a boolean option (`-C instrument-coverage` too). */
export function spelledOff(value: string): boolean {
  return value === 'n' || value === 'no' || value === 'off' || value === 'false';
}

/**
 * The boolean -Z options whose use passes a call through (classify.ts): those that report on
 * rustc's own run, and `-Zlink-only`. Not `-Zprofile-closures` nor `-Zno-link`: rustc takes no
 * value for those (`-Zprofile-closures=no` is an error), so any spelling of them stays as given.
 */
const BOOL_Z = new Set(['dump-dep-graph', 'llvm-time-trace', 'nll-facts', 'parse-crate-root-only', 'time-llvm-passes', 'time-passes', 'link-only']);

/**
 * The call's -Z options (as optionSpelled gives them) less the boolean ones turned off: an
 * explicit `-Ztime-passes=no` is as its absence, and an earlier one than the last of its name
 * counts for nothing. Before, `-Ztime-passes=no` passed through as if it reported its timings.
 */
export function unstableInEffect(unstable: readonly string[]): string[] {
  const last = new Map<string, number>();
  unstable.forEach((z, i) => last.set(nameOf(z), i));
  return unstable.filter((z, i) => {
    const name = nameOf(z);
    if (!BOOL_Z.has(name)) return true;
    const eq = z.indexOf('=');
    return last.get(name) === i && !(eq >= 0 && spelledOff(z.slice(eq + 1)));
  });
}

function nameOf(z: string): string {
  const eq = z.indexOf('=');
  return eq < 0 ? z : z.slice(0, eq);
}
