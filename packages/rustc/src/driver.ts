import { basename } from 'node:path';
import { crateTypeLabel, type Verdict } from './classify.js';
import { parseInvocation, type Invocation } from './invocation.js';

/**
 * Programs that are rustc's own driver with more in it, which cargo runs in
 * front of rustc as `<driver> <rustc> <args…>` (RUSTC_WORKSPACE_WRAPPER):
 * `cargo clippy` does so for every workspace member. clippy-driver takes
 * rustc's arguments, writes rustc's outputs, and its lints come out as
 * diagnostics, so its calls can be cached as rustc's are, under a key of
 * their own (the driver's identity and its CLIPPY_* settings).
 */
const DRIVERS = ['clippy-driver'];

/** What a driver's calls are counted under, before their crate type: `clippy` for clippy-driver. */
const driverLabel = (driver: string) => driver.replace(/-driver$/, '');

/** Every driver's label (driverLabel): `clippy`. */
export const DRIVER_LABELS: readonly string[] = DRIVERS.map(driverLabel);

/** One compiler call: what runs, and rustc's own arguments. */
export interface CompilerCall {
  /** The program that runs: rustc, or the driver in front of it. */
  program: string;
  /** What comes before rustc's arguments when it runs: the rustc path a driver was given. */
  lead: string[];
  /** rustc's arguments. */
  args: string[];
  /** The driver's name (`clippy-driver`), for a call through one. */
  driver?: string;
}

/** The known driver `program` is, by its file name (`clippy-driver`, or undefined). */
export function driverOf(program: string): string | undefined {
  const name = basename(program);
  return DRIVERS.find((d) => name.startsWith(d));
}

/**
 * The compiler call in a wrapper's argv (program first): rustc itself, or a
 * known driver given a rustc. Undefined for anything else (another tool in
 * front of rustc), which the wrapper runs untouched.
 */
export function compilerCall(argv: readonly string[]): CompilerCall | undefined {
  const [program, ...rest] = argv;
  if (program === undefined) return undefined;
  if (basename(program).startsWith('rustc')) return { program, lead: [], args: rest };
  const driver = driverOf(program);
  const rustc = rest[0];
  if (driver && rustc !== undefined && basename(rustc).startsWith('rustc')) return { program, lead: [rustc], args: rest.slice(1), driver };
  return undefined;
}

/** A call through a driver (`clippy-driver rustc …`) is counted apart: `clippy:lib`, `clippy:build-script`, … */
export function driverVerdict(driver: string | undefined, verdict: Verdict): Verdict {
  if (!verdict.cacheable || !driver) return verdict;
  return { ...verdict, crateType: `${driverLabel(driver)}:${verdict.crateType}` };
}

/**
 * The label any compiler call is recorded under, cached or passed through: what driverVerdict
 * gives a cached one (`lib`, `test`, `build-script`, `clippy:lib`). Pass-throughs were recorded
 * with none, and the `pass` column of `splitcache stats` was 0 for every type.
 */
export function callTypeLabel(driver: string | undefined, inv: Invocation): string {
  const own = crateTypeLabel(inv);
  return driver ? `${driverLabel(driver)}:${own}` : own;
}

/**
 * rustc's arguments as near as they can be told in a wrapper's argv: a compiler call's own; for
 * another program (a compiler not named rustc*, or a tool in front of rustc) what follows it, and
 * follows the rustc path after it if there is one.
 */
export function rustcArgsOf(argv: readonly string[]): readonly string[] {
  const call = compilerCall(argv);
  if (call) return call.args;
  const rest = argv.slice(1);
  return rest[0] !== undefined && basename(rest[0]).startsWith('rustc') ? rest.slice(1) : rest;
}

/** The crate a wrapper call compiles, by its `--crate-name` ('' for none): for a call answered without a plan, or through another program. */
export function crateNameOfCall(argv: readonly string[]): string {
  return parseInvocation(rustcArgsOf(argv)).crateName ?? '';
}
