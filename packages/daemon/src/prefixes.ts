import { existsSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { PrefixTable } from '@splitcache/paths';
import type { Invocation } from '@splitcache/rustc';
import { homeDir } from './protocol.js';
import { PROFILE_PREFIXES, profileDirEntries } from './profileDirs.js';

const tagged = new Map<string, string | undefined>();

// The daemon's own fallbacks for a call without HOME or TMPDIR. Read once: os.tmpdir()
// and os.homedir() look the environment up again (with a uid check) on every use. No home
// at all (a uid with no passwd entry and no HOME, where os.homedir() throws): no default
// CARGO_HOME to normalise, and every call was refused for it before.
let own: { home: string | undefined; tmp: string } | undefined;
const ownDirs = () => (own ??= { home: homeDir(process.env), tmp: tmpdir() });

/**
 * The target dir this call writes under. cargo lays it out as
 * `<target>[/<triple>]/<profile>/{deps,build/<pkg>-<hash>,examples}` and
 * always passes `-L dependency=<target>[/<triple>]/<profile>/deps`, so the
 * layout gives it away without touching the disk. For a call that isn't laid
 * out like cargo's, CARGO_TARGET_DIR when set, else the nearest ancestor with
 * cargo's CACHEDIR.TAG, else the out-dir itself.
 *
 * The layout comes first: since cargo 1.91 (`build.build-dir`,
 * CARGO_BUILD_BUILD_DIR) rustc writes under the build dir, and cargo copies
 * the final artifacts into the target dir, which no rustc argument names.
 * With CARGO_TARGET_DIR taken first, a build dir set beside it was under no
 * prefix: every crate missed in another checkout.
 *
 * In the form the arguments have it: a relative target dir (`CARGO_TARGET_DIR=../target`,
 * `target-dir = "../target"` in a workspace's .cargo/config.toml, as monorepos share one)
 * reaches rustc joined to cargo's directory, `..` and all (`/ws/app/../target/debug/deps`),
 * and a prefix in another form matches none of its paths. Resolved, it did not: every crate
 * built outside the workspace root (a registry's) was keyed by its checkout's absolute path,
 * and missed in every other checkout.
 */
export function targetRootOf(inv: Invocation, cwd: string, env: Record<string, string>): string {
  return targetLayoutOf(inv, cwd, env).root;
}

/** targetRootOf's root, with the profile dir's name and the triple where cargo's layout shows them (`inTriple`: the call's own dir is the triple's). */
function targetLayoutOf(inv: Invocation, cwd: string, env: Record<string, string>): { root: string; profile?: string; triple?: string; inTriple?: boolean } {
  // dirname() cuts the string as it is; resolve() would fold `..` away.
  const asGiven = (p: string) => (isAbsolute(p) ? p : resolve(cwd, p));
  const outDir = asGiven(inv.outDir!);
  const deps = inv.libPaths.find((l) => l.kind === 'dependency' && l.path.endsWith('/deps'))?.path;
  let profileDir: string | undefined;
  if (deps) profileDir = dirname(asGiven(deps));
  else if (/\/(deps|examples)$/.test(outDir)) profileDir = dirname(outDir);
  else if (/\/build\/[^/]+$/.test(outDir)) profileDir = dirname(dirname(outDir));
  // cargo's coming layout (nightly's -Zbuild-dir-new-layout): every unit in <profile>/build/<pkg>/<hash>/out.
  else profileDir = /^(.*)\/build\/[^/]+\/[^/]+\/out$/.exec(outDir)?.[1];
  if (profileDir) {
    let root = dirname(profileDir);
    const triple = inv.target?.replace(/^.*\//, '').replace(/\.json$/, '');
    const inTriple = !!triple && basename(root) === triple;
    if (inTriple) root = dirname(root);
    return { root, profile: basename(profileDir), triple, inTriple };
  }
  return { root: targetDirOf(env) ?? cachedirTagAncestor(outDir) ?? outDir };
}

/** The target dir the environment names (absolute only: a relative one is cargo's directory's, which the layout shows). */
function targetDirOf(env: Record<string, string>): string | undefined {
  const fromEnv = env.CARGO_TARGET_DIR || env.CARGO_BUILD_TARGET_DIR;
  return fromEnv && isAbsolute(fromEnv) ? fromEnv.replace(/\/+$/, '') : undefined;
}

/**
 * The target dir an integration test's CARGO_BIN_EXE_* paths name (`<target>[/<triple>]/<profile>/<bin>`),
 * where no variable names it: `--target-dir /ci/t` on the command line with a build dir apart
 * (`build.build-dir`). Those paths are keyed (keyedEnv.ts), and under no prefix, every
 * integration test of a package with a bin missed in another checkout with another target dir,
 * reading the variable or not (a hunt: `plain (app)` missed, `env:CARGO_BIN_EXE_app`).
 */
function binExeTargetDir(env: Record<string, string>, profile: string | undefined, triple: string | undefined): string | undefined {
  if (!profile) return undefined;
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('CARGO_BIN_EXE_') || !isAbsolute(value)) continue;
    const profileDir = dirname(value);
    if (basename(profileDir) !== profile) continue;
    const root = dirname(profileDir);
    return triple && basename(root) === triple ? dirname(root) : root;
  }
  return undefined;
}

/** `dir` with every symlink resolved (one realpath(3)); as given when it can't be (gone, not readable). */
export function realPathOf(dir: string): string {
  try {
    return realpathSync.native(dir);
  } catch {
    return dir;
  }
}

function cachedirTagAncestor(dir: string): string | undefined {
  if (tagged.has(dir)) return tagged.get(dir);
  let found: string | undefined;
  for (let d = dir, i = 0; i < 5; i++, d = dirname(d)) {
    if (existsSync(join(d, 'CACHEDIR.TAG'))) {
      found = d;
      break;
    }
    if (dirname(d) === d) break;
  }
  if (tagged.size > 10_000) tagged.clear();
  tagged.set(dir, found);
  return found;
}

/**
 * The caller's cwd in the form cargo named it. The daemon learns a caller's
 * cwd from the kernel (`/proc/<pid>/cwd`, or the node client's getcwd), every
 * symlink resolved, while cargo's paths (the arguments, CARGO_MANIFEST_DIR)
 * keep the form cargo has them in: a registry reached through a symlink (a
 * CARGO_HOME under a home dir that is a link, a source replacement directory
 * named by one) gave its crates keys that named the registry by its real
 * path here and by cargo's there, and a checkout without the link missed
 * every registry crate the other had built. Derived from CARGO_MANIFEST_DIR:
 * the package's own dir (a registry crate, which cargo builds in it) or one
 * under the cwd (a workspace member, built in the workspace root). As given
 * when that tells nothing.
 */
export function cargoCwdOf(cwd: string, env: Record<string, string>): string {
  const dir = env.CARGO_MANIFEST_DIR;
  if (!dir || !isAbsolute(dir)) return cwd;
  const given = resolve(dir);
  // The usual case, where no symlink is in the way: no file system call.
  if (given === cwd || given.startsWith(`${cwd}/`)) return cwd;
  const real = realPathOf(given);
  if (real === cwd) return given;
  if (real.startsWith(`${cwd}/`)) {
    const under = real.slice(cwd.length);
    if (given.endsWith(under)) return given.slice(0, given.length - under.length);
  }
  return cwd;
}

/**
 * The prefixes that make a path machine-specific for this call, each mapped
 * to a placeholder (longest match first, inside PrefixTable):
 * sysroot, cwd (the workspace root under cargo), the registry directory a
 * non-workspace package comes from, CARGO_HOME, the target dir, its profile
 * dirs (profileDirs.ts), OUT_DIR, the temp dir, and SPLITCACHE_BASEDIRS.
 */
export function prefixTableFor(
  inv: Invocation,
  cwd: string,
  env: Record<string, string>,
  sysroot: string,
  baseDirs: string[],
): PrefixTable {
  const entries: { name: string; path: string }[] = [
    { name: 'sysroot', path: sysroot },
    { name: 'cwd', path: cwd },
    { name: 'tmp', path: env.TMPDIR || ownDirs().tmp },
  ];
  const home = env.HOME || ownDirs().home;
  const cargoHome = env.CARGO_HOME || (home && join(home, '.cargo'));
  if (cargoHome) entries.splice(2, 0, { name: 'cargo_home', path: cargoHome });
  const manifestDir = env.CARGO_MANIFEST_DIR;
  if (manifestDir && isAbsolute(manifestDir)) {
    entries.push({ name: 'pkg', path: manifestDir });
    // cargo runs rustc in a registry (or git) package's own directory, and in the workspace root
    // for a member, whether the build selected it (CARGO_PRIMARY_PACKAGE) or only depends on it:
    // a member's table must not change with `-p`.
    if (!env.CARGO_PRIMARY_PACKAGE && resolve(manifestDir) === resolve(cwd)) entries.push({ name: 'registry', path: dirname(manifestDir) });
  }
  if (inv.outDir) {
    const layout = targetLayoutOf(inv, cwd, env);
    const target = layout.root;
    entries.push({ name: 'target', path: target });
    // rustc names the crates a link step reads by their real paths (rlinkCrates.ts): a target
    // dir reached through a symlink has them under another prefix. Given second, the same path
    // normalises as `target`; a real one expands to this call's own.
    entries.push({ name: 'target_real', path: realPathOf(target) });
    // The target dir, where a build dir apart from it is what rustc writes under: paths of the
    // final artifacts (CARGO_BIN_EXE_*, CARGO_TARGET_TMPDIR) name it.
    const targetDir = targetDirOf(env) ?? binExeTargetDir(env, layout.profile, layout.triple);
    const apart = targetDir && targetDir !== target ? targetDir : undefined;
    if (apart) entries.push({ name: 'target_dir', path: apart });
    // The profile dir, a prefix of its own: a custom profile that inherits another unchanged shares its entries (profileDirs.ts).
    // Not for a dir right under `/` (rustc by hand, `--out-dir /ws/deps`): no target dir above it.
    if (layout.profile && target !== '/') entries.push(...profileDirEntries({ root: target, profile: layout.profile, triple: layout.inTriple ? layout.triple : undefined }, realPathOf, apart));
  }
  if (env.OUT_DIR && isAbsolute(env.OUT_DIR)) entries.push({ name: 'out_dir', path: env.OUT_DIR });
  baseDirs.forEach((d, i) => entries.push({ name: `base${i}`, path: d }));
  return new PrefixTable(entries);
}

/**
 * `control-char-path` where a path of the call's (its checkout, target dir, CARGO_HOME…) holds a
 * control character (a tab, a newline): the `.rlink` codec writes no such path, so a crate that
 * links was split for nothing (its result can't be stored), and its hit of another checkout's
 * entry failed to write the `.rlink` and evicted that entry, for every checkout (a hunting
 * helper's repro). Such a crate is compiled plainly.
 */
export function rlinkUnwritable(table: PrefixTable): 'control-char-path' | undefined {
  // Only the prefixes whose paths a .rlink holds (the crate's sources and outputs, the crates it
  // links): a tab in TMPDIR, which none holds, passed every crate that links through (a review's).
  return table.entries.some((e) => IN_RLINK.test(e.name) && /[\u0000-\u001f\u007f]/.test(e.path)) ? 'control-char-path' : undefined;
}
const IN_RLINK = new RegExp(`^(sysroot|cwd|cargo_home|pkg|registry|target|target_real|target_dir|out_dir|${PROFILE_PREFIXES.join('|')})$`);
