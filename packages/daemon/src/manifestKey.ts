import { basename, resolve } from 'node:path';
import { KeyBuilder, type FileDigestMemo, type Digest } from '@splitcache/hash';
import { PLACEHOLDER_OPEN, placeholderFor, type PrefixTable } from '@splitcache/paths';
import { instrumentsCoverage, libPathKind, namesSplitDwarf, optionSpelled, unpackedKeepsObjects, writesCode, type Invocation } from '@splitcache/rustc';
import type { RustcIdentity } from './rustcIdentity.js';
import { clippyConfFile } from './clippyConf.js';
import { namedTargetSpec } from './targetSpecFile.js';
import { callSysroot, customSysrootLibs } from './customSysroot.js';
import { rustSourceTrees } from './rustSource.js';
import { freeFroms, normaliseKeyedArg, realCwdRemap, remapFroms } from './remapFlagKey.js';
import { oneTargetForm } from './targetForm.js';
import { packedDwarfPlace } from './profileDirs.js';
import { remapKeyText } from './remap.js';
import { inputOnDisk } from './inputPath.js';
import { keyedJsonArg } from './diagnosticForm.js';
import { nativeLibDigests, unnamedDigest, unnamedLibs } from './librarySearch.js';
import { keyedCargoEnv, keyedRustcEnv } from './keyedEnv.js';
import { cargoEnvValue } from './cargoEnvValue.js';
import { urlsArg } from './terminalUrls.js';

/**
 * Bump whenever the list of key inputs below changes, or the way any input
 * is normalised or recorded changes, or what is stored under a key changes
 * (4: split crates of a nightly rustc keep its v0 mangling instead of a
 * pinned legacy one; 5: what `native` resolves to, item 11; 6: the -Zno-link
 * half of a stable call refuses `#![feature]`, which changes a proc-macro's
 * crate hash; 7: OUT_DIR is recorded exactly for a crate whose sources name it
 * other than to include a file, includeDirUse.ts, where results recorded before
 * normalised it; and dep-info is stored with a dependency's prefix escaped
 * apart, normaliseDepInfo; 8: a result's input paths are read from rustc's
 * dep-info as rustc writes them, a backslash or `#` kept: results recorded
 * before name another file for such a path, and could hit after the file
 * rustc read changed, rustc/src/depInfo.ts; 9: OUT_DIR is recorded exactly
 * for a crate whose inputs other than `*.rs` name it, such as a `gen.inc`
 * it include!()s, includeDirUse.ts, where results recorded before normalised it;
 * 10: the rustc identity, item 2, holds the compiler file's own bytes, so a
 * RUSTC script that adds flags misses once edited; 11: item 2 holds the
 * listing of the call's own target's libraries in the sysroot, not every
 * installed target's; 12: a result records, as ABSENT, the other file each
 * module could have been read from, absentInputs.ts, so that one added
 * beside it misses, as rustc refuses the pair, where results recorded before
 * hit; 13: `--json`'s `diagnostic-short` is left out of item 3, and a result
 * records the form of its diagnostics, diagnosticForm.ts: under the same key,
 * results recorded before would serve a short-form call the long form; 14: a
 * crate whose own sources name its checkout's paths is not stored,
 * checkoutInSource.ts, and dep-info lines of a path starting with `#` are read
 * (a175241, which did not bump it): results recorded before could name another
 * checkout's copy of such a file, or leave it out; 15: an absolute input under
 * the checkout recorded under its placeholder alone is also checked at its path
 * as it was, where a file is there, nearInputs.ts: results recorded before let a
 * sibling checkout hit after the file a fixed path named had changed; 16:
 * the profile dir is a prefix of its own, profileDirs.ts, and OUT_DIR read
 * only to include code records its profile dir's place: a call whose
 * arguments name that dir relative kept its key, and a daemon before this one
 * would have left `@@sc:profile@@` unexpanded in what such an entry holds;
 * 17: `-Z terminal-urls` is out of items 3 and 20, its links in a result's form instead;
 * 18: item 8 holds an unnamed plain archive of a lib's dirs as `archive`, its bytes an input of the results that bundled it).
 */
export const CACHE_VERSION = 18;

/**
 * Codegen options that only reach the linker, by their namedArgs() names:
 * untracked in rustc's options (they never change an object, metadata or
 * dep-info), and given to -Zlink-only from each call's own command line.
 */
const LINKER_ONLY = /^(-C|--codegen) (linker|linker-flavor|linker-features|link-arg|link-args|link-self-contained|strip)(#\d+)?$/;
/**
 * Options that only shape how diagnostics are shown: cargo passes
 * `--diagnostic-width=<columns>` when its stderr is a terminal, and nothing
 * when it is a pipe or a file (CI, `cargo build | tee`, an editor), so keying
 * it would split every crate's entries between the two and by window size.
 * `--color` likewise (a Makefile's call in a terminal gets `--color=always`
 * from splitcache itself: terminalArgs.ts). One that rustc refuses (twice,
 * another value, beside `--json`) never gets here: the call runs plainly
 * (classify.ts, `color-refused`). Left out of the key, such a call hit the
 * entry of one without `--color` and exited 0 (`--color=auto --color=auto`).
 * A `--diagnostic-width` that rustc refuses (twice, no number) likewise runs
 * plainly (`width-refused`).
 */
const DISPLAY_ONLY = /^--(diagnostic-width|color)(#\d+)?$/;
/** What a call adds to its key beyond its command line and environment (items 10, 11 and 13 below). */
export interface KeyOptions {
  /** SPLITCACHE_REMAP added --remap-path-prefix flags. */
  remap?: boolean;
  /** What `native` resolves to, when the call asks for it. */
  nativeCpu?: string;
  /** The driver in front of rustc (`clippy-driver`), for a call through one. */
  driver?: string;
  /** The working directory as the kernel has it, symlinks resolved, where `cwd` is cargo's form of it (items 14 and 18). */
  realCwd?: string;
}

export interface ManifestKey {
  key: Digest;
  components: [string, string][];
  /** The `--remap-path-prefix` FROMs keyed as covering nothing (item 3): none may cover a result's inputs. */
  freeFroms: string[];
}

/**
 * The direct-mode manifest key. No rustc pre-pass: every input is known
 * from the command line, the environment and the file system.
 *
 * The key hashes, in this order:
 *  1. CACHE_VERSION.
 *  2. The rustc identity: `rustc -vV` and the digest of the compiler file
 *     itself (a `RUSTC` script that adds flags answers -vV as the rustc
 *     behind it; memoised per compiler, rustcIdentity.ts); and the names and
 *     sizes of the sysroot's libraries for the call's target (item 9's name;
 *     a JSON spec's file stem, as rustc looks it up), not of every target
 *     installed: a `rustup target add` changed every key before. The
 *     identity also says whether the compiler allows unstable features on
 *     its own (a script that sets RUSTC_BOOTSTRAP=1; its split halves then
 *     keep v0 mangling): only such compilers' keys changed with it, so no
 *     new CACHE_VERSION.
 *  3. Every argument, in order, with machine-specific path prefixes replaced
 *     by placeholders (sysroot, workspace, CARGO_HOME, target dir, its profile
 *     dir: a custom profile that inherits another unchanged has that one's
 *     keys, as every profile setting is an argument of its own or in
 *     `-C metadata`, profileDirs.ts; …), except
 *     the options that only steer the linker (LINKER_ONLY): rustc marks them
 *     untracked, as they cannot change an object or metadata, and the link
 *     runs here on every call with this call's own. So a `linker` setting
 *     that differs between machines (or a switch of linker) keeps its hits.
 *     Values of them that rustc refuses run plainly (linkerOptions.ts).
 *     Nor `--diagnostic-width` and `--color` (DISPLAY_ONLY): cargo passes the
 *     width only when its stderr is a terminal, so a build in a terminal and
 *     one in CI or piped share the entries of crates that printed nothing; a
 *     result with diagnostics serves only its own width and colours, as its
 *     form. Nor a `-Z terminal-urls` that rustc takes: its links are in the form (terminalUrls.ts). Nor the parts of
 *     `--json` that only choose how diagnostics are rendered
 *     (`diagnostic-short`: cargo's `--message-format=short`), so a crate that
 *     printed none hits under every message format; a result with
 *     diagnostics serves only its own form (diagnosticForm.ts, lookup.ts).
 *     Dropping inputs needs no new CACHE_VERSION: a key without them is the
 *     key such a call always had. A user's `--remap-path-prefix=FROM=TO` is
 *     split at its last `=`, as rustc splits it, and FROM normalised alone
 *     (remapFlagKey.ts): in the whole text, FROM ends at an `=`, which
 *     ends no path, so the checkout's own path stayed exact and a checkout
 *     elsewhere missed every crate. TO is kept as given (`-Zremap-cwd-prefix`'s
 *     too): rustc writes it into file!() and debuginfo (keys change only where it names a prefix). No new CACHE_VERSION: a normalised text
 *     expands back to the one argument under a call's own prefix table, so an
 *     old key still names what it named; such calls just get new keys. An
 *     absolute FROM that covers no path of the call (nor lies under one) is
 *     keyed as covering nothing (freeFroms: CI's remapped checkout, for a
 *     registry crate with the target dir outside it); no result whose inputs
 *     it covers is stored or served. Such calls get new keys: no CACHE_VERSION.
 *  4. The working directory, normalised (relative paths resolve against it).
 *  5. The CARGO_* variables cargo sets for the crate (KEYED_CARGO_ENV in
 *     keyedEnv.ts), normalised (CARGO, the cargo binary, by which cargo it is:
 *     cargoEnvValue.ts), plus RUSTC_ENV, and RUSTC_ENV_WHEN_SET where set.
 *     RUSTC_BOOTSTRAP as the crate acts on it (bootstrapActingAs): `app,util`
 *     is `1` for app and unset for the rest, as `-1` is on a stable toolchain;
 *     the unset and `1` keys are those of before, so no new CACHE_VERSION. Keying
 *     fewer of them (an allow-list since 2026-12-04, a deny-list before)
 *     needed no new CACHE_VERSION (item 3): calls that had others get new
 *     keys; nor did RUSTC_ENV_WHEN_SET, which a call without them lacks.
 *  6. The digest of the root source file.
 *  7. The digest of every --extern file.
 *  8. The digest of every native static library linked with -l (found in the
 *     -L dirs; `+verbatim` names the file whole), and of every other `.a`
 *     file in an -L native (or all) dir but the sysroot's. A
 *     `#[link(name = "x", kind = "static")]` in the source bundles such a
 *     library into the rlib with no -l and no dep-info line, so a build
 *     script that rebuilds it, or a vendor library replaced in /opt, must
 *     miss (dirs outside the build's own trees, `+verbatim` ones, included).
 *     Likewise every `.rlib` and `.rmeta` in an -L crate (or all) dir but the
 *     sysroot's: an `extern crate a;` with no --extern for it takes `a` from
 *     there, and dep-info names no crate file, so a rebuilt `a` (a generic
 *     of it is compiled into this crate's objects) hit with the old one (cargo
 *     names every crate with --extern and passes no -L crate dir).
 *     A thin archive (`ar T`) adds its members' digests (staticLibDigest.ts):
 *     its own bytes name them, and stay the same when one is rebuilt.
 *     None of it for a crate that links (split): its -Zno-link half reads no
 *     native library, its link step does, on a hit too; nor a file only a
 *     `-l dylib=` or `-l static:-bundle=` names, which no crate bundles; only
 *     presence with no `link` emit (`cargo check`). Of an unnamed plain archive
 *     with members, only `archive` (archiveKey.ts): a result records the bytes
 *     of those its rlib or staticlib bundled (bundledArchives.ts), so a lib over
 *     a -sys crate linking its C unbundled or as a dylib hits after the C changed.
 *  9. The target: the --target name, or the digest of its JSON spec file.
 *     A name that rustc resolves to a JSON spec (a custom target found in
 *     RUST_TARGET_PATH, the working directory when that is unset, or the
 *     sysroot: targetSpecFile.ts) adds that file's digest too: with the name
 *     alone, an edited spec hit with objects built for the old one. Keys
 *     change only for calls that have such a file: no new CACHE_VERSION.
 * 10. Whether SPLITCACHE_REMAP added --remap-path-prefix flags (derived
 *     from the prefix table, so only the fact is recorded). Since the flags
 *     remap each prefix's real path too (remap.ts), the value says so: a
 *     result stored before, through a symlinked checkout, names its real
 *     path, and is not looked up again (no new CACHE_VERSION: only these
 *     calls' keys change). A registry crate's own dir is mapped by its name
 *     (remap.ts, cwdMapping), where it was `.`: the value names it, so
 *     the results of before, whose files were ./src/lib.rs, are not served.
 * 11. With -C target-cpu=native or -Z tune-cpu=native: the CPU and target
 *     features rustc resolves `native` to on this machine (nativeCpu.ts), so
 *     a runner with a different CPU never gets objects built for this one.
 * 12. With -C profile-generate: its directory exactly as given, not
 *     normalised. The instrumented code names it (where the .profraw files
 *     go), so a checkout elsewhere must not get these objects; a relative one
 *     is read at run time and can be shared. Items 12 and 14 only where the
 *     call writes code: a metadata-only call (`cargo check`, clippy) has no
 *     instrumented code, and keyed by its cwd it missed in every other checkout.
 * (-C profile-use needs nothing here: rustc lists the profile in dep-info.)
 * 13. For a call through a driver in front of rustc (clippy-driver, for
 *     `cargo clippy`): its name, every CLIPPY_* variable (normalised), and
 *     the clippy.toml it reads (clippyConf.ts): its normalised path and
 *     digest, or that there is none. Item 2 is then the driver's identity:
 *     its `-vV` (the rustc it is built on) and its own `--version`.
 *     clippy-driver lists CLIPPY_ARGS (the lint flags after `--`) and
 *     CLIPPY_CONF_DIR as env-deps, and the clippy.toml it read in dep-info,
 *     but not its other variables (CLIPPY_DISABLE_DOCS_LINKS, …), nor that
 *     it found no clippy.toml. Plain rustc calls of the same `cargo clippy`
 *     get none of this, so dependencies share entries with `cargo check`.
 *     No new CACHE_VERSION: no earlier key had a driver.
 * 14. With -C instrument-coverage: the working directory (as the kernel
 *     has it, symlinks resolved: what rustc writes) and the root source
 *     file's path, exactly, not normalised, unless SPLITCACHE_REMAP is on
 *     (then only that coverage is on). Cargo's form of the directory (a
 *     checkout built through a link) was keyed before: a link swapped from
 *     one checkout to another hit with a map naming the first one's files
 *     (a helper's repro; keys change only for such calls). The coverage map names the
 *     sources by absolute path (zlib-compressed, so the .rlink codec can't
 *     rewrite it), and llvm-cov reads them from there: objects from a
 *     checkout elsewhere would report on its files. With remap on, the map
 *     holds the remapped paths, the same everywhere. No new CACHE_VERSION:
 *     no earlier key had this component, so what was stored before for
 *     coverage (its split halves then pinned legacy mangling, which
 *     instrument-coverage replaces with v0) is never looked up again.
 * 15. With --sysroot naming another sysroot than the compiler's own: the
 *     digest of every file in its library dir for the call's target
 *     (customSysroot.ts). rustc takes std and any crate of an `extern crate`
 *     without --extern from there, and dep-info names none of them: with
 *     only the flag's path keyed, a std rebuilt there hit with objects built
 *     against the old one. Digested once per daemon, then stat'ed through
 *     the memo. Keys change only for calls with such a flag: no new
 *     CACHE_VERSION.
 * 16. With `-C split-debuginfo=unpacked` where rustc leaves the object files
 *     beside the outputs for their DWARF (`-Zsplit-dwarf-kind=single`, an
 *     Apple target; rustc/src/unpackedObjects.ts): that the objects are
 *     stored. A lib's results stored before held its rlib without them, and
 *     a binary linked against it on a hit named objects that were not there
 *     (its debugger found no debug info for the lib). Keys change only for
 *     such calls, so those results are never looked up again: no new
 *     CACHE_VERSION.
 * 17. With `-C split-debuginfo=unpacked` and debuginfo on: the out-dir,
 *     exactly, not normalised. The objects name their `.dwo` files (or, as
 *     in item 16, themselves) by absolute path, and every binary linked from
 *     them takes those names: a hit from another target dir gave a binary
 *     whose debugger read the producer's files, another version of them
 *     while that dir was rebuilt, none once it was cleaned ("Could not find
 *     DWO CU", no symbols). So such results serve their own target dir only,
 *     as a plain build's files would. Keys change only for such calls: no
 *     new CACHE_VERSION. Not for a call that writes no code (`--emit` of
 *     metadata and dep-info only: `cargo check`, clippy), whose outputs name
 *     no `.dwo`: keyed by its out dir, it missed in every other checkout.
 * 18. Where cargo names the working directory through a symlink (its form
 *     is normalised in items 3 and 4) and the call has a `--remap-path-prefix`
 *     of its own: whether one of them covers the directory as the kernel has
 *     it, which is what rustc writes as debuginfo's comp_dir. A FROM naming
 *     the link normalises as one naming the real path does, while only the
 *     latter remaps: a checkout built through a link, unremapped, served a
 *     checkout whose build remaps. Keys change only for such calls. With the
 *     directory's place below the FROM (remapFlagKey.ts): rustc writes it.
 * 19. The source trees in the call's sysroot that rustc maps std's paths to
 *     (`rust-src`, `rustc-dev`: rustSource.ts), where there: with one, std's
 *     code inlined into a crate names it, not `/rustc/<commit>/…`. Keys
 *     change only where one is installed.
 * 20. None since 17 (`-Z terminal-urls=auto`'s COLORTERM and TERM: the links are in
 *     a result's form, terminalUrls.ts). 21. With `-C split-debuginfo=packed`
 *     and debug info: the out-dir's profile dir place (profileDirs.ts), which
 *     the objects name their `.dwo` files under. Keys change only for such calls.
 * Each result stored under a key adds the digests of every file its dep-info
 * named (read where the path leads from the cwd, never resolved lexically:
 * inputPath.ts) and of the files the assembler read for asm! code
 * (`.incbin`/`.include`, asmIncludes.ts; a result whose directive names no
 * plain path is not stored), the places that must still hold no file (for each `.rs` file read,
 * the other file its module could have been: `foo/mod.rs` for `foo.rs`, and
 * the reverse; recorded with the digest ABSENT, absentInputs.ts), and the
 * values of its `env-dep`s (checked at lookup, envDepValue.ts:
 * exactly, but for OUT_DIR when the crate includes a file from it, and
 * CLIPPY_CONF_DIR). Recording them exactly (before, they were normalised)
 * needed no new CACHE_VERSION either: a normalised value holds a
 * placeholder that no exact one matches, so those results just miss.
 */
export async function buildManifestKey(
  inv: Invocation,
  rustc: RustcIdentity,
  cwd: string,
  env: Record<string, string>,
  table: PrefixTable,
  files: FileDigestMemo,
  opts: KeyOptions = {},
): Promise<ManifestKey> {
  const { remap = false, nativeCpu, driver, realCwd = cwd } = opts;
  const k = new KeyBuilder();
  k.add('cache-version', CACHE_VERSION); // 1
  k.add('rustc', rustc.digest); // 2
  const sysroot = callSysroot(inv.sysroot, cwd, rustc.sysroot);
  const sourceTrees = rustSourceTrees(sysroot, cwd);
  const free = freeFroms(inv, cwd, realCwd, env, table, sysroot, sourceTrees);
  for (const [name, value] of keyedArgs(inv)) k.add(name, normaliseKeyedArg(value, table, free)); // 3
  k.add('cwd', table.normalise(cwd)); // 4
  for (const name of keyedCargoEnv(env, driver !== undefined)) {
    // 5
    k.add(`env:${name}`, name === 'CARGO' ? await cargoEnvValue(env.CARGO!, rustc.sysroot, table, files) : table.normaliseText(env[name]!));
  }
  for (const [name, value] of keyedRustcEnv(env, rustc.release, inv.crateName)) k.add(`env:${name}`, value === undefined ? undefined : table.normaliseText(value));
  k.add(`file:${table.normalise(inv.input!)}`, await files.digest(inputOnDisk(cwd, inv.input!))); // 6
  for (const ext of inv.externs) {
    // 7
    if (ext.path) k.add(`extern:${ext.name}`, await files.digest(inputOnDisk(cwd, ext.path)));
  }
  for (const [name, digest] of await nativeLibDigests(inv, cwd, table, files)) k.add(name, digest); // 8
  for (const lib of unnamedLibs(inv, cwd, table, 'crate')) k.add(`crate-dir:${table.normalise(lib)}`, await unnamedDigest(lib, (p) => files.digest(p)));
  if (inv.target?.endsWith('.json')) k.add('target-spec', await files.digest(inputOnDisk(cwd, inv.target))); // 9
  else {
    k.add('target', inv.target ?? rustc.host);
    const spec = inv.target === undefined ? undefined : namedTargetSpec(inv.target, env, cwd, callSysroot(inv.sysroot, cwd, rustc.sysroot));
    if (spec !== undefined) k.add('target-spec', await files.digest(spec));
  }
  const triple = inv.target?.endsWith('.json') ? basename(inv.target, '.json') : (inv.target ?? rustc.host);
  k.add('sysroot-libs', rustc.targetLibs[triple] ?? 'none'); // 2, for this target
  const customLibs = customSysrootLibs(inv.sysroot, cwd, rustc.sysroot, triple); // 15
  if (customLibs !== undefined) {
    k.add('custom-sysroot-libs', customLibs.length);
    for (const lib of customLibs) k.add(`custom-sysroot-lib:${basename(lib)}`, await files.digest(lib));
  }
  if (remap) k.add('remap-path-prefix', remapKeyText(table, env)); // 10
  if (nativeCpu !== undefined) k.add('native-cpu', nativeCpu); // 11
  const profileDir = inv.codegen.get('profile-generate');
  if (profileDir !== undefined && writesCode(inv)) k.add('profile-generate-dir', profileDir); // 12
  if (driver !== undefined) {
    // 13
    k.add('driver', driver);
    for (const name of Object.keys(env).sort()) if (name.startsWith('CLIPPY_')) k.add(`env:${name}`, table.normaliseText(env[name]!));
    const conf = clippyConfFile(env, cwd);
    // Found from the real path, as clippy climbs (clippyConf.ts): named in cargo's form of the checkout, as the table has it.
    const named = (f: string) => table.normalise(realCwd !== cwd && f.startsWith(`${realCwd}/`) ? cwd + f.slice(realCwd.length) : f);
    const shadowed = conf?.shadowed === undefined ? '' : ` shadowing ${named(conf.shadowed)}`;
    k.add('clippy-conf', conf === undefined ? 'none' : `${named(conf.file)} ${await files.digest(conf.file)}${shadowed}`);
  }
  if (instrumentsCoverage(inv) && writesCode(inv)) k.add('coverage-paths', remap ? 'remapped' : `${realCwd} ${resolve(realCwd, inv.input!)}`); // 14
  if (unpackedKeepsObjects(inv, rustc.host)) k.add('unpacked-objects', 'stored'); // 16
  if (namesSplitDwarf(inv)) k.add('unpacked-debuginfo-dir', resolve(cwd, inv.outDir ?? '.')); // 17
  if (realCwd !== cwd) {
    const froms = remapFroms(inv.args);
    if (froms.length > 0) k.add('remap-real-cwd', realCwdRemap(froms, realCwd)); // 18
  }
  for (const tree of sourceTrees) k.add('rust-source', table.normalise(tree)); // 19
  const packed = packedDwarfPlace(inv, cwd, table);
  if (packed !== undefined) k.add('packed-debuginfo-profile', packed); // 21
  return { ...oneTargetForm(k), freeFroms: free };
}

/** The named arguments that go into the key: all but the linker-only and display-only options (LINKER_ONLY, DISPLAY_ONLY), a `-Z terminal-urls` rustc takes (urlsArg), and `--json` without its display parts (diagnosticForm.ts). */
export function keyedArgs(inv: Invocation): [string, string][] {
  return namedArgs(inv)
    .filter(([name, text]) => !LINKER_ONLY.test(name) && !DISPLAY_ONLY.test(name) && !(/^-Z terminal-urls(#\d+)?$/.test(name) && urlsArg(text)))
    .map(([name, text]) => [name, /^--json(#\d+)?$/.test(name) ? keyedJsonArg(text) : text]);
}

/** Flags whose value starts with a sub-key worth naming (`-C metadata=…` is "-C metadata"; an `-L` is named by its kind: namedArgs). */
const KEYED = new Set(['-C', '--codegen', '-Z', '--extern', '-l']);

/**
 * The arguments as named key components, in order, so `explain` can say
 * "-C opt-level" rather than "arg[17]". Repeats get `#n`; each component's
 * value is the argument text exactly as given (flag and value).
 */
export function namedArgs(inv: Invocation): [string, string][] {
  const out: [string, string][] = [];
  const seen = new Map<string, number>();
  const a = inv.args;
  for (let i = 0; i < a.length; i++) {
    let text = a[i]!;
    let name: string;
    if (i === inv.inputIndex) name = 'input';
    else if (!text.startsWith('-')) name = 'arg';
    else {
      const short = /^-[CLlZWADFo]/.test(text) && !text.startsWith('--') ? text.slice(0, 2) : text.split('=')[0]!;
      let value = short === text || (text.startsWith('--') && !text.includes('=')) ? undefined : text.slice(short.length).replace(/^=/, '');
      if (value === undefined && i + 1 < a.length && !a[i + 1]!.startsWith('-') && i + 1 !== inv.inputIndex) {
        value = a[++i]!;
        text += ' ' + value;
      }
      // `-C link_arg` is `-C link-arg` (optionSpelled): a linker-only option by either spelling.
      const sub = value === undefined ? undefined : /^(-C|--codegen|-Z)$/.test(short) ? optionSpelled(value) : value;
      // An `-L` by the kind rustc reads (libPathKind), none for a kindless dir: named by its path, a build script's
      // kindless `rustc-link-search=$OUT_DIR` put its checkout in the key, and its crate and every dependant missed in a copy.
      const kind = short === '-L' && sub !== undefined ? libPathKind(sub) : undefined;
      name = short === '-L' ? (kind ? `-L ${kind}` : '-L') : KEYED.has(short) && sub !== undefined ? `${short} ${sub.split('=')[0]}` : short;
    }
    const n = seen.get(name) ?? 0;
    seen.set(name, n + 1);
    out.push([n === 0 ? name : `${name}#${n}`, text]);
  }
  return out;
}
