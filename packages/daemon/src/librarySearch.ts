import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import type { FileDigestMemo } from '@splitcache/hash';
import { placeholderFor, type PrefixTable } from '@splitcache/paths';
import { classify, outputStem, type Invocation, type NativeLib } from '@splitcache/rustc';
import { staticLibDigest } from './staticLibDigest.js';
import { inputOnDisk } from './inputPath.js';
import { isRustDylib } from './rustDylib.js';
import { unnamedArchiveKey } from './archiveKey.js';

// The library files a call may take without naming them, for the key (manifestKey.ts, item 8).

/**
 * The dirs rustc searches for one kind of library, in order, resolved against cwd: for
 * native libraries the -L native and -L all ones; for the crates of an `extern crate` that
 * no --extern names, the -L crate and -L all ones (-L dependency dirs serve only a
 * dependency's own dependencies, found by the hash its metadata records).
 */
function searchDirs(inv: Invocation, cwd: string, kind: 'native' | 'crate'): string[] {
  // Joined as text, as rustc's own open does (inputPath.ts): resolved lexically from a checkout reached
  // through a link, `-L native=../vendor` named a dir beside the link, not the one rustc searched, and a
  // rebuilt library there hit with the old one (a hunting helper's repro).
  return inv.libPaths.filter((lp) => lp.kind === kind || lp.kind === 'all').map((lp) => inputOnDisk(cwd, lp.path));
}

/**
 * What a library file of each kind is called. A native `.lib` too: a dependency's build script
 * may name its archive so (`rustc-link-lib=static:+verbatim=foo.lib`), and a staticlib cached
 * whole bundles it from the dependency's rlib, which stays the same when the archive is rebuilt:
 * only this dir shows it. A crate's `.so` too where it is a Rust dylib (rustDylib.ts): rustc
 * takes one for an `extern crate` as it takes an rlib, and unkeyed, a call after the dylib was
 * rebuilt hit with the old one's generics inlined (a read-set audit's repro; cargo names its
 * dylibs with --extern, so only other build systems met it).
 */
const LIBRARY_FILE = { native: /\.(a|lib)$/, crate: /\.(rlib|rmeta)$/ };
const isLibrary = (kind: 'native' | 'crate', dir: string, f: string) => LIBRARY_FILE[kind].test(f) || (kind === 'crate' && /^lib.*\.so$/.test(f) && isRustDylib(`${dir}/${f}`));

/**
 * The library files in the call's dirs of that kind but the sysroot's (item 8), in a stable
 * order. A system dir (`-L native=/usr/lib/x86_64-linux-gnu`, from pkg-config) holds ~100 MB
 * of `.a` files here: digested once per daemon, then stat'ed through the memo. Cargo passes
 * no -L crate dir, and a build script's `rustc-link-search` dir (-L all) holds no rlib; its
 * shared libraries are each read once for a `.rustc` section, then stat'ed (a review measured a
 * kindless `/usr/lib/x86_64-linux-gnu`, 132 of them: 3-7 ms a call warm, 108 ms the first;
 * pkg-config and most build scripts say `native=`, which costs nothing of the kind).
 */
export function unnamedLibs(inv: Invocation, cwd: string, table: PrefixTable, kind: 'native' | 'crate'): string[] {
  const sysroot = placeholderFor('sysroot');
  const out: string[] = [];
  // The call's own outputs of an earlier build, where its out dir is searched too (a Makefile's
  // `-L . --out-dir .`): no input of its own, they made each call's key differ from the one before.
  // The two dirs compared as the kernel finds them (their real paths): compared as text, `--out-dir $(PWD)/out -L
  // crate=out` in a checkout reached through a link (the daemon has the cwd with links resolved)
  // kept the call's own last rlib in its key, and `-L crate=sub/..` (the out dir `.` as text, a dir
  // beside where `sub` points to rustc) left out the libraries rustc may take there.
  const own = ownLibraries(inv);
  const outDir = own.size > 0 && inv.outDir !== undefined ? dirIdentity(inputOnDisk(cwd, inv.outDir)) : undefined;
  for (const dir of searchDirs(inv, cwd, kind)) {
    if (table.normalise(dir).startsWith(sysroot)) continue;
    let names: string[];
    try {
      const isOut = outDir !== undefined && dirIdentity(dir) === outDir;
      names = readdirSync(dir).filter((f) => isLibrary(kind, dir, f) && !(isOut && own.has(f))).sort();
    } catch {
      continue; // not there (yet): nothing of it can be bundled
    }
    for (const f of names) out.push(`${dir}/${f}`); // not path.join: it would drop a `link/..` as resolve() does
  }
  return out;
}

/**
 * A dir's real path (undefined where it can't be resolved): one dir however a path spells it, links
 * and `..` taken as the kernel takes them. Not its device and inode: an overlayfs whose layers lie on
 * two file systems (no `xino`) can give two dirs one pair, and a library rustc may take would have
 * been left out of the key (a review's finding); two real paths of one dir (a bind mount) cost a miss.
 */
function dirIdentity(path: string): string | undefined {
  try {
    return realpathSync.native(path);
  } catch {
    return undefined;
  }
}

/**
 * The library files this call writes itself, by name: those it may find in its out dir from its
 * last build are no input of its. Only what it writes: a bin `foo` beside a lib `foo` (the names
 * cargo gives a package's two, built by a Makefile into one dir) takes `libfoo.rlib` for its
 * `extern crate foo`, and left out by name alone, the bin hit after the lib changed, with its old
 * code inlined (a review's repro).
 */
function ownLibraries(inv: Invocation): Set<string> {
  const stem = outputStem(inv);
  const types = inv.test ? [] : inv.crateTypes;
  const emits = (kind: string) => inv.emit.some((e) => e.kind === kind);
  const own = new Set<string>();
  // Only a library's: a bin's (or a test's) `--emit=metadata` writes `lib<stem>.rmeta` too, over the
  // one of the lib of its name, which it reads first (a review's repro: a bin check hit after its
  // lib's function was renamed, where a plain one fails with E0425).
  if (!types.some((t) => t === 'lib' || t === 'rlib' || t === 'staticlib' || t === 'dylib' || t === 'proc-macro')) return own;
  if (emits('metadata') && types.some((t) => t === 'lib' || t === 'rlib')) own.add(`lib${stem}.rmeta`);
  if (emits('link') && types.some((t) => t === 'lib' || t === 'rlib')) own.add(`lib${stem}.rlib`);
  if (emits('link') && types.includes('staticlib')) own.add(`lib${stem}.a`);
  if (emits('link') && types.some((t) => t === 'dylib' || t === 'proc-macro')) own.add(`lib${stem}.so`);
  return own;
}

/**
 * The first file named `file` in the call's native dirs. A `+verbatim` name that is an absolute
 * path (`rustc-link-lib=static:+verbatim=$OUT_DIR/libfoo.a`) is that file, as rustc's own join
 * takes it: joined to each dir as node joins, it was found nowhere, and a library its build
 * script rebuilt was bundled stale.
 */
export function findStaticLib(file: string, inv: Invocation, cwd: string): string | undefined {
  if (file.startsWith('/')) return existsSync(file) ? file : undefined;
  return searchDirs(inv, cwd, 'native')
    .map((dir) => `${dir}/${file}`)
    .find((p) => existsSync(p));
}

/**
 * Key item 8's native part, as [name, digest]: each static library the call names with -l, and
 * every other `.a` file of its -L native dirs. None for a crate that links (split): its -Zno-link
 * half reads no native library (rustc -Zno-link with an `-l static=` library that is not there
 * succeeds), and its link step, which runs on a hit too, takes each as it is then. Keyed, a bin,
 * cdylib or proc-macro whose build script's C changed missed, and so did a bin over a dependency
 * whose archive is linked unbundled (`static:-bundle`), for nothing (a hunting helper's finding).
 * Nor, for other crates, a library that only an -l that never bundles names (notBundled). Nor the bytes
 * of any, for a call with no `link` emit (`cargo check`): only that each is there. Keyed, a change of a
 * -sys crate's C made its check and every dependant's (cargo passes them its -L native dir) miss.
 * Nor, for a call that writes an rlib or staticlib, the bytes of an unnamed plain archive with members
 * (`ARCHIVE`, bundledArchives.ts): only those its output bundled are checked, as its result's inputs.
 */
export async function nativeLibDigests(inv: Invocation, cwd: string, table: PrefixTable, files: FileDigestMemo): Promise<[string, string][]> {
  return (await nativeLibEntries(inv, cwd, table, files)).map(([name, digest]) => [name, digest]);
}

/** nativeLibDigests' entries, each with the library file it names: [name, digest, file]. */
export async function nativeLibEntries(inv: Invocation, cwd: string, table: PrefixTable, files: FileDigestMemo): Promise<[string, string, string][]> {
  const verdict = classify(inv);
  if (verdict.cacheable && verdict.mode === 'split') return [];
  // A call that writes no rlib or staticlib (no `link` emit: `cargo check`, clippy) bundles no archive: its
  // .rmeta names a library, at most by its file name, never holds its bytes. So only whether each is there.
  const links = inv.emit.some((e) => e.kind === 'link');
  const read = links ? (p: string) => staticLibDigest(p, files) : async () => 'present';
  const out: [string, string, string][] = [];
  const { found, bundled } = namedLibs(inv, cwd);
  for (const [i, lib] of inv.nativeLibs.entries()) {
    const file = found[i];
    if (file !== undefined && bundled.has(file)) out.push([`native:${lib.name}`, await read(file), file]);
  }
  const named = new Set(found);
  // The bytes of one it could bundle with no -l are checked after the compile where it did (bundledArchives.ts).
  const unnamed = links ? (p: string) => unnamedArchiveKey(p, files) : read;
  for (const lib of unnamedLibs(inv, cwd, table, 'native')) {
    if (!named.has(lib)) out.push([`native-dir:${table.normalise(lib)}`, await unnamedDigest(lib, unnamed), lib]);
  }
  return out;
}

/**
 * The digest of a library file a dir listing showed, `absent` where nothing can be read there: a
 * dangling link (`libfoo.a` to a removed file, in a system dir or a build script's OUT_DIR), or a
 * dir of such a name, which rustc passes over. Thrown, it made every crate given that dir
 * build uncached, each with a SPLITCACHE_STORE_IO line a plain build never prints (a hunting helper's repro).
 * `not-a-file` for a FIFO, socket or device under such a name (`libpipe.a`, a link to /dev/zero),
 * never opened: rustc opens no library it does not link, and the digest's read of a FIFO held the
 * daemon's thread (of /dev/zero, spun it) until the client gave up on it after 10 s and stopped it,
 * each crate given the dir built uncached with a SPLITCACHE_DAEMON_UNRESPONSIVE line (a hunt's repro).
 */
export async function unnamedDigest(path: string, digest: (path: string) => Promise<string>): Promise<string> {
  try {
    const st = statSync(path);
    if (!st.isFile()) return st.isDirectory() ? 'absent' : 'not-a-file';
    return await digest(path);
  } catch (err) {
    if (NOTHING_THERE.has((err as NodeJS.ErrnoException).code ?? '')) return 'absent';
    throw err;
  }
}
const NOTHING_THERE = new Set(['ENOENT', 'ELOOP', 'ENOTDIR', 'EISDIR']);

/**
 * The file each -l names (undefined where none is found), and those of them an -l that may bundle
 * names. A file only `-l dylib=` or `-l static:-bundle=` names is not read: the library is the final
 * link's, whose crate reads it then (a `#[link]` of that name is overridden by a `dylib=`, and refused
 * with a `-bundle`, as rustc does). Keyed, the -sys crate missed after each change of its C, for an
 * rlib of the same bytes. A `#[link]` that names the file otherwise (`+verbatim`) still bundles it:
 * such a result is not stored (bundledUnkeyed.ts).
 */
function namedLibs(inv: Invocation, cwd: string): { found: (string | undefined)[]; bundled: Set<string | undefined> } {
  const found = inv.nativeLibs.map((lib) => findStaticLib(lib.verbatim ? lib.name : `lib${lib.name}.a`, inv, cwd));
  return { found, bundled: new Set(found.filter((f, i) => f !== undefined && !notBundled(inv.nativeLibs[i]!))) };
}

/** The files that only -l libraries an rlib or staticlib never bundles name (namedLibs): left out of a lib's key. */
export function unkeyedNamedLibs(inv: Invocation, cwd: string): string[] {
  const { found, bundled } = namedLibs(inv, cwd);
  return [...new Set(found)].filter((f): f is string => f !== undefined && !bundled.has(f));
}

/** Whether an -l library is one an rlib or staticlib never bundles: a dylib, or a static one with `-bundle`. */
const notBundled = (lib: NativeLib) => lib.kind === 'dylib' || (lib.kind === 'static' && lib.unbundled === true);
