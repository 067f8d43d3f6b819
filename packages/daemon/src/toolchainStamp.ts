/**
 * What a memoised rustc identity (rustcIdentity.ts) is checked against on
 * every call: the memo is keyed by the compiler's path and stamp, and by the
 * toolchain name and directory for a rustup proxy, none of which changes
 * when what they run does. `rustup update` replaces a toolchain's files under
 * the same name; `rustup toolchain link` points a name elsewhere; a
 * `rust-toolchain.toml` written, or `rustup default`/`override`, changes what
 * a proxy runs when no RUSTUP_TOOLCHAIN names it. A daemon that kept the
 * identity it had (its idle timeout is 10 minutes, and each build starts it
 * over) served the old toolchain's outputs to the new one: its rlibs, which
 * the new rustc refuses (E0514), and its .rlink files, whose link fails.
 * Under cargo, whose `-C metadata` hashes `rustc -vV`, that took a toolchain
 * whose -vV stayed the same (a rustc developer's rebuilt librustc_driver);
 * rustc called directly, any change.
 *
 * So each call compares a few stats (a few microseconds each) with those taken
 * when the identity was had: the sysroot's lib dir and its librustc_driver;
 * for a proxy, rustup's toolchains dir; and for a proxy that no
 * RUSTUP_TOOLCHAIN pins (cargo, run through rustup, always sets it) rustup's
 * settings and the toolchain files in the call's directory and above it.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { homeDir } from './protocol.js';
import { statOf } from './isFile.js';

export function toolchainStamp(sysroot: string, drivers: string[], cwd: string, env: Record<string, string>, proxy: boolean, targets: string[] = []): string {
  // The lib dir's own stat shows a driver added, removed or renamed (an update); each driver's, one
  // rebuilt in place. No listing on each call: a sysroot of /usr (Debian's rustc) lists /usr/lib.
  // The target library dirs' stats show a std rebuilt there (a linked toolchain whose library/ a
  // developer rebuilt): their names and sizes are in every key (item 2), and the memo kept the
  // old ones, so a call found its std gone (E0463 plainly) and hit (a mutation audit's find).
  const lib = join(sysroot, 'lib');
  const parts = [fileStamp(lib), ...drivers.map((n) => fileStamp(join(lib, n)))];
  parts.push(fileStamp(join(lib, 'rustlib')), ...targets.map((t) => fileStamp(join(lib, 'rustlib', t, 'lib'))));
  if (!proxy) return parts.join('\n');
  // The sysroot a proxy's rustc reports is the toolchain's real directory: a name linked
  // elsewhere since (`rustup toolchain link`), or installed again, shows in the toolchains dir.
  // No RUSTUP_HOME and no home dir (a uid with no passwd entry, HOME unset): rustup has none either.
  const home = env.RUSTUP_HOME || join(homeDir(env) ?? '/nonexistent', '.rustup');
  parts.push(fileStamp(join(home, 'toolchains')));
  if (!env.RUSTUP_TOOLCHAIN) {
    parts.push(fileStamp(join(home, 'settings.toml')));
    for (let dir = cwd; ; dir = dirname(dir)) {
      parts.push(fileStamp(join(dir, 'rust-toolchain')), fileStamp(join(dir, 'rust-toolchain.toml')));
      if (dirname(dir) === dir) break;
    }
  }
  return parts.join('\n');
}

/**
 * The compiler itself (rustc is a thin binary over it): names, sizes and mtimes of <sysroot>/lib/librustc_driver*.
 * Synchronous, as the rest of the identity's file reads: the first request of a
 * fresh daemon took 7-10 ms for ~70 round trips through the thread pool, against
 * 2-5 ms for the same calls made synchronously.
 */
export function driverStamp(sysroot: string): string {
  const lib = join(sysroot, 'lib');
  const parts: string[] = [];
  for (const n of driverNames(sysroot)) {
    const s = statOf(join(lib, n));
    if (s) parts.push(`${n} ${s.size} ${s.mtimeMs}`);
  }
  return parts.join('\n');
}

/** The names of <sysroot>/lib/librustc_driver*, sorted. */
export function driverNames(sysroot: string): string[] {
  return listDir(join(sysroot, 'lib')).filter((n) => n.startsWith('librustc_driver')).sort();
}

function fileStamp(path: string): string {
  const s = statOf(path);
  return s ? `${s.ino} ${s.size} ${s.mtimeMs}` : '-';
}

/** A directory's entries; none when it is missing or not a directory. */
export function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
