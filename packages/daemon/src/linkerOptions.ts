import type { Invocation } from '@splitcache/rustc';
import { inputOnDisk } from './inputPath.js';
import { runRustc, type RustcIdentity } from './rustcIdentity.js';

/**
 * The options that only steer the linker are out of the key (manifestKey.ts, LINKER_ONLY), so
 * that a build with another linker keeps its hits. But rustc checks the values of some of them
 * as it reads its arguments, whatever the crate: `-C strip=bogus`, a `-C linker-flavor` of
 * another target's or an unstable one, `-C linker-features=+lld` or `-C link-self-contained=+linker`
 * without `-Z unstable-options`. Such a call fails plainly, and through splitcache a crate that
 * doesn't link hit the result of the same call without the option and exited 0 (a review's repro:
 * a warm `cargo check` with a mistyped `-C strip` in RUSTFLAGS succeeded where plain cargo fails).
 * `-C linker`, `link-arg` and `link-args` take any text, and are not checked.
 */
const CHECKED = /^(linker[-_]flavor|strip|linker[-_]features|link[-_]self[-_]contained)=/;

/**
 * Values every rustc since 1.59 takes, for any target: cargo passes `-C strip=debuginfo` to every
 * crate of a release build by default, and a probe for it would hold up a release build's first
 * call by a rustc start (~100 ms here) in each daemon's life.
 */
const TAKEN = /^(strip=(none|debuginfo|symbols)|link[-_]self[-_]contained=(y|yes|on|n|no|off))$/;

const known = new Map<string, Promise<boolean>>();

/**
 * `linker-option-refused` where the rustc of this call refuses its checked linker options, so the
 * call runs plainly and rustc says why in its own words; else undefined. Asked of that rustc with
 * the options alone (`--print sysroot`, the call's target, crate name and sysroot, `-Z
 * unstable-options` if the call has it, and the RUSTC_BOOTSTRAP a plain call has), once per compiler and set of options in a
 * daemon's life: a build gives every crate the same RUSTFLAGS, so it asks once, and a call
 * without such options, or with only values every rustc takes (TAKEN), never. A probe that can't run (no rustc there, a timeout) refuses nothing.
 */
export async function linkerOptionsRefused(
  rustcPath: string, rustc: RustcIdentity, inv: Invocation, cwd: string, env: Record<string, string>, bootstrap: string | undefined,
): Promise<string | undefined> {
  const options = checkedOptions(inv.args);
  if (options.every((o) => TAKEN.test(o))) return undefined;
  const target = inv.target?.endsWith('.json') ? inputOnDisk(cwd, inv.target) : inv.target;
  const unstable = inv.unstable.includes('unstable-options');
  // The crate's name where RUSTC_BOOTSTRAP lists crates (`RUSTC_BOOTSTRAP=<crate>` unlocks -Z for
  // that crate alone; asked once a crate then, else once a build) and the call's sysroot (a target
  // named by a `lib/rustlib/<target>/target.json` there): without them, calls plain rustc takes
  // were refused, and ran uncached.
  const byName = bootstrap !== undefined && bootstrap !== '1' && bootstrap !== '-1' && inv.crateName !== undefined;
  const whose = [...(byName ? ['--crate-name', inv.crateName!] : []), ...(inv.sysroot ? ['--sysroot', inv.sysroot] : [])];
  const args = [...options.flatMap((o) => ['-C', o]), ...(unstable ? ['-Z', 'unstable-options'] : []), ...whose, ...(target ? ['--target', target] : []), '--print', 'sysroot'];
  const memoKey = [rustcPath, rustc.digest, bootstrap ?? '\u0001', ...args].join('\0');
  let accepted = known.get(memoKey);
  if (!accepted) {
    if (known.size >= 256) known.clear();
    accepted = probe(rustcPath, args, cwd, { ...env, RUSTC_BOOTSTRAP: bootstrap });
    known.set(memoKey, accepted);
  }
  return (await accepted) ? undefined : 'linker-option-refused';
}

/** The values of the call's `-C` options whose values rustc checks (CHECKED), in order. */
export function checkedOptions(args: readonly string[]): string[] {
  const found: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = a === '-C' || a === '--codegen' ? args[++i] : a.startsWith('--codegen=') ? a.slice('--codegen='.length) : a.startsWith('-C') ? a.slice(2) : undefined;
    if (value !== undefined && CHECKED.test(value)) found.push(value);
  }
  return found;
}

async function probe(rustcPath: string, args: string[], cwd: string, env: Record<string, string | undefined>): Promise<boolean> {
  try {
    await runRustc(rustcPath, args, { cwd, env: env as NodeJS.ProcessEnv });
    return true;
  } catch (err) {
    // rustc ran and exited non-zero: it refuses them. Anything else (not run, killed) says nothing.
    return typeof (err as { code?: unknown }).code !== 'number';
  }
}
