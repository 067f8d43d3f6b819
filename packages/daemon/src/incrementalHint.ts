import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A line, at most once a day per store, for a build whose crates cargo compiles incrementally
 * because its dev profile does so by default (CARGO_INCREMENTAL unset): those calls pass through
 * uncached, and a user who set the wrapper in ~/.cargo/config.toml and ran `cargo build` was told
 * nothing, while the crates they edit, which link, were never cached (a sccache migrant's finding).
 * Set either way (`CARGO_INCREMENTAL=1` too), it is the user's choice, and nothing is said. The
 * marker `incremental-hint` in the store dir keeps the day; where it can't be written, nothing is
 * said (rather than a line on every call).
 */
export function incrementalHint(dir: string, env: Record<string, string | undefined>): string | undefined {
  if (env.CARGO === undefined || env.SPLITCACHE_LOG?.trim() === 'quiet') return undefined;
  // An incremental call whose environment says not: cargo did not read it, so it came to rustc
  // from `[env]` in .cargo/config.toml, which cargo passes on and does not read for itself. The
  // line said to set CARGO_INCREMENTAL=0, which the user had (a config-setups helper's finding).
  // CARGO_INCREMENTAL overrides build.incremental in cargo: `CARGO_INCREMENTAL=1` beside a
  // `CARGO_BUILD_INCREMENTAL=false` is a choice of incremental (a review's point).
  const saysOff = (v: string | undefined) => v !== undefined && /^(0|false)$/i.test(v.trim());
  const offBy = saysOff(env.CARGO_INCREMENTAL) ? 'CARGO_INCREMENTAL' : env.CARGO_INCREMENTAL === undefined && saysOff(env.CARGO_BUILD_INCREMENTAL) ? 'CARGO_BUILD_INCREMENTAL' : undefined;
  const off = offBy !== undefined;
  // Else only a call of cargo's (it sets CARGO for rustc), where no choice is seen (the variables
  // of `build.incremental` and a profile's `incremental` too), and where the line is shown at all.
  if (!off && (env.CARGO_INCREMENTAL !== undefined || env.CARGO_BUILD_INCREMENTAL !== undefined)) return undefined;
  if (!off && Object.keys(env).some((k) => /^CARGO_PROFILE_\w+_INCREMENTAL$/.test(k))) return undefined;
  const marker = join(dir, 'incremental-hint');
  try {
    if (Date.now() - statSync(marker).mtimeMs < 864e5) return undefined;
  } catch {
    /* none yet */
  }
  try {
    writeFileSync(marker, '');
  } catch {
    return undefined;
  }
  if (off) {
    return `splitcache: cargo compiles this build's own crates incrementally, though ${offBy}=${env[offBy!]!.trim()} reached rustc: cargo passes on [env] of .cargo/config.toml and does not read it for itself; build.incremental = false there, or CARGO_INCREMENTAL=0 in the environment, caches them (said once a day)`;
  }
  return "splitcache: cargo compiles this build's own crates incrementally (its dev profile's default, or an incremental setting), and such calls pass through uncached: CARGO_INCREMENTAL=0, or build.incremental = false in .cargo/config.toml, caches them; CARGO_INCREMENTAL=1 keeps them incremental, without this line (said once a day)";
}
