import { closeSync, existsSync, fstatSync, openSync, readSync, type BigIntStats } from 'node:fs';
import { link, mkdir, readFile, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { SYNC_IO_MAX_BYTES, type Digest, type FileDigestMemo } from '@splitcache/hash';
import { addDepInfoInputs, listRlinkPaths, normaliseDepInfo, normaliseOutput, PLACEHOLDER_OPEN, rewriteRlink, type PrefixTable } from '@splitcache/paths';
import { archiveMembers, noLinkOutputs, outputStem, parseDepInfo, unpackedKeepsObjects, wholeOutputs, type Invocation } from '@splitcache/rustc';
import { isDiskFull, readWhole, type EntryRecord, type OutputRecord, type Store } from '@splitcache/store';
import { SplitcacheError } from '@splitcache/errors';
import { byPath, entryKeyOf } from './entryKey.js';
import { diagnosticForm, hasDiagnostics, withoutRunTimings } from './diagnosticForm.js';
import { envDepValue } from './envDepValue.js';
import { absentModuleFiles, ABSENT, isPresent } from './absentInputs.js';
import { externFiles, readAsValues } from './includeDirUse.js';
import { includedPaths, outDirOf } from './includedPathEnv.js';
import { writtenAgain } from './removedBlobs.js';
import { inputOnDisk } from './inputPath.js';
import { recordedInputs } from './checkoutInSource.js';
import { outputTable } from './outputTable.js';
import { nearInput } from './nearInputs.js';
import { asmIncludes } from './asmIncludes.js';
import { statOf } from './isFile.js';
import { changedSince } from './changedSince.js';
import { fsClockSkew, sinceOn } from './fsClock.js';
import { checkRoom } from './diskReserve.js';
import { foreignCrateFile } from './rlinkCrates.js';
import { freeFromCovers } from './remapFlagKey.js';
import { rlinkUnwritable } from './prefixes.js';
import { bundledArchives } from './bundledArchives.js';

export interface IngestInput {
  inv: Invocation;
  mode: 'whole' | 'split';
  crateType: string;
  cwd: string;
  table: PrefixTable;
  manifestKey: Digest;
  components: [string, string][];
  startedAt: number;
  compileMs: number;
  stdout: Uint8Array;
  stderr: Uint8Array;
  rustcVersion: string;
  rlinkVersion: string;
  /** The triple the compiler builds for when the call names no --target (`host:` of `rustc -vV`). */
  host: string;
  /** Results larger than this are not stored (reason too-large). */
  maxEntryBytes: number;
  producer: string;
  /** Its rustc laid out for a terminal of a width not known (terminalWidth.ts): a result with diagnostics is not stored. */
  widthUnread?: boolean;
  /** The call's `--remap-path-prefix` FROMs keyed as covering nothing (manifestKey.ts, item 3). */
  freeFroms?: readonly string[];
}

export type IngestResult =
  | { stored: true; entryKey: Digest; bytes: number; inputs: [string, Digest][]; envDeps: [string, string | null][] }
  | { stored: false; reason: string };

/**
 * Stores a successful compile: blobs first, then the entry, then the
 * manifest result, so nothing is ever committed before its blobs exist.
 * For a linking crate it reads `staged` copies (hard links) when given, so it can
 * run after -Zlink-only has deleted the objects; without them it must run before.
 */
export async function ingest(store: Store, files: FileDigestMemo, x: IngestInput, staged?: Staged): Promise<IngestResult> {
  const removals = store.blobs.watchRemovals();
  try {
    return await ingestFrom(store, files, x, staged, removals.removed);
  } finally {
    removals.end();
    if (staged) await rm(staged.dir, { recursive: true, force: true });
  }
}

/**
 * The files of a crate that links, hard-linked into a private directory of
 * the store's temp dir: the link step deletes the objects, and with its own
 * names for them ingest can read them afterwards, off the build's critical
 * path. A hard link is one system call and copies nothing.
 */
export interface Staged {
  dir: string;
  rlink: Buffer;
  names: string[];
}

/**
 * Stages a split crate's .rlink, dep-info, other outputs and objects under
 * `tmpDir`. Undefined when that isn't possible (the target dir is on another
 * file system than the store, say): the caller then ingests before the link.
 */
export async function stageSplit(tmpDir: string, inv: Invocation, cwd: string, tag: string): Promise<Staged | undefined> {
  const outDir = resolve(cwd, inv.outDir!);
  const stem = outputStem(inv);
  const dir = join(tmpDir, `stage-${tag}`);
  try {
    const rlink = await readFile(resolve(outDir, `${stem}.rlink`));
    const names = splitOutputNames(inv, outDir, rlink, cwd);
    await mkdir(dir);
    await Promise.all([...new Set([...names, `${stem}.d`])].map((n) => link(resolve(outDir, n), join(dir, n))));
    return { dir, rlink, names };
  } catch {
    // Not thrown: with a file in the temp dir's place (ENOTDIR) the call's report failed, and its client said the daemon went away.
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    return undefined;
  }
}

/** An object file, or with split DWARF the .dwo beside it (which -Zlink-only packs or leaves): what a split crate's .rlink names. */
const isObjectFile = (name: string) => name.endsWith('.o') || name.endsWith('.dwo');

/**
 * A split crate's outputs: what rustc -Zno-link wrote, and the objects its .rlink names (in
 * outDir). The .rlink names them in the form of the call's --out-dir, which may hold `..` (a
 * target dir given relative, `../target`, cargo joins to its own directory) or `//`: compared
 * resolved, as outDir is. Compared as written, no object matched, and no crate that links was
 * ever stored under such a target dir.
 */
function splitOutputNames(inv: Invocation, outDir: string, rlink: Buffer, cwd: string): string[] {
  const objects = listRlinkPaths(rlink)
    .filter((p) => isObjectFile(p) && resolve(cwd, dirname(p)) === outDir)
    .map((p) => basename(p));
  return objects.length === 0 ? [] : [...noLinkOutputs(inv), ...new Set(objects)];
}

/**
 * With `-C split-debuginfo=unpacked`, a lib leaves the .dwo file of each of its
 * codegen units in the out-dir as well as inside its archive, where a
 * debugger looks for them; or, where the DWARF stays in the objects
 * (`-Zsplit-dwarf-kind=single`, an Apple target: `keepObjects`), the object
 * files themselves, which binaries name for their debug info. Their names
 * come from the archive's members (`<stem>.<cgu>.rcgu.dwo` or `.o`), not from
 * a listing of the out-dir, which can hold stale ones from an earlier compile
 * with more codegen units. A staticlib's archive also holds its allocator
 * shim's object (`<stem>.<hash>.rcgu.o`), which rustc removes from the out dir
 * even where it keeps the others: only members there are taken (before, every
 * such build's ingest failed on it, ENOENT, and said so: a write-set
 * differential's repro, nightly's `single` kind here, any debug staticlib on macOS).
 */
function unpackedDwarfNames(inv: Invocation, outDir: string, names: string[], keepObjects: boolean): string[] {
  const own = `${outputStem(inv)}.`;
  const found = new Set<string>();
  for (const name of names.filter((n) => n.endsWith('.rlib') || n.endsWith('.a'))) {
    const fd = openSync(resolve(outDir, name), 'r');
    try {
      const readAt = (position: number, length: number) => {
        const buf = Buffer.alloc(length);
        return buf.subarray(0, readSync(fd, buf, 0, length, position));
      };
      for (const m of archiveMembers(readAt, fstatSync(fd).size)) {
        if (m.startsWith(own) && !m.includes('/') && (m.endsWith('.dwo') || (keepObjects && m.endsWith('.o') && existsSync(resolve(outDir, m))))) found.add(m);
      }
    } finally {
      closeSync(fd);
    }
  }
  return [...found];
}

const LONG_TYPE_FILE = /\.long-type-\d+\.txt/;

/** Whether a compile's stderr names a file rustc wrote a long type's name to. */
function namesLongTypeFile(stderr: Uint8Array): boolean {
  const bytes = Buffer.from(stderr.buffer, stderr.byteOffset, stderr.byteLength);
  return bytes.includes('.long-type-') && LONG_TYPE_FILE.test(bytes.toString('latin1'));
}

async function ingestFrom(store: Store, files: FileDigestMemo, x: IngestInput, staged: Staged | undefined, removals: Set<Digest>): Promise<IngestResult> {
  const { inv, cwd, table } = x;
  // A diagnostic naming a type too long to print names the file rustc wrote it to beside the
  // outputs (`<crate>.long-type-<hash>.txt`), which no result holds: a hit named a file it did
  // not write (an options audit's suspicion, reproduced with an `improper_ctypes` warning).
  if (namesLongTypeFile(x.stderr)) return { stored: false, reason: 'long-type-file' };
  // Laid out for a terminal whose width no form can name: stored, it would serve another width (diagnosticForm.ts).
  if (x.widthUnread && hasDiagnostics(withoutRunTimings(x.stderr))) return { stored: false, reason: 'width-unread' };
  const outDir = resolve(cwd, inv.outDir!);
  const pathOf = (name: string) => (staged ? join(staged.dir, name) : resolve(outDir, name));
  const stem = outputStem(inv);
  const depText = await readFile(pathOf(`${stem}.d`), 'utf8');
  // A path with a newline (a checkout's, named absolute: a member outside the workspace root, the
  // out dir) breaks rustc's dep-info into lines no parser can read: known why, the result is not
  // stored, quietly; it read as a cache fault on every such miss (a hunting helper's repro).
  const dep = parseDepInfoOf(depText, table);
  if (!dep) return { stored: false, reason: 'control-char-path' };
  // Text that already holds a placeholder's form (`@@sc:cwd@@` in a deprecation note or an env!()
  // value): a hit would expand it into a path plain rustc never printed, and a dep-info whose
  // env-dep value changed so made cargo compile the crate again on every build.
  if ([x.stdout, x.stderr].some((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).includes(PLACEHOLDER_OPEN)) || depText.includes(PLACEHOLDER_OPEN)) {
    return { stored: false, reason: 'placeholder-in-text' };
  }

  const inputs: [string, Digest][] = [];
  // Inputs' ctimes are their file systems' clocks': the out dir's, measured, is taken for those on its device.
  const skew = fsClockSkew(outDir);
  // The files the assembler read for asm!/global_asm! (`.incbin`, `.include`), which dep-info doesn't name.
  const asm = await asmIncludes(dep.files.map((f) => inputOnDisk(cwd, f)), cwd);
  if (asm.unknown) return { stored: false, reason: 'asm-include-unknown' };
  // A FROM keyed as covering nothing that covers an input (an `include!` from outside the call's dirs): rustc
  // rewrote that input's path, so a call whose FROM maps it otherwise, or not at all, must not get these outputs.
  if (freeFromCovers(x.freeFroms ?? [], [...dep.files, ...asm.paths], cwd)) return { stored: false, reason: 'remap-covers-input' };
  // An asm path with no file behind it was read by no assembler (a compile naming one fails), as
  // in a comment or in asm a #[cfg] left out: nothing to record.
  const asmPaths = asm.paths.filter((p) => !dep.files.includes(p) && isPresent(inputOnDisk(cwd, p)));
  for (const f of [...dep.files, ...asmPaths]) {
    const abs = inputOnDisk(cwd, f);
    // A directory (a nightly proc-macro's `tracked::path` of one, which it lists): no digest says
    // what rustc saw of it, so the result is not stored, quietly; it read as a cache fault.
    const digest = await files.digest(abs).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : err.code === 'EISDIR' ? null : Promise.reject(err)));
    if (digest === null) return { stored: false, reason: 'input-directory' };
    // A file changed while rustc ran: the outputs may not match any digest we could record.
    // Its ctime says so, not its mtime: a file dated in the future (a tarball from a machine
    // whose clock ran ahead, `touch -d`) was never stored, and a write during the compile that
    // put the old mtime back (`cp -p`, `rsync -a`) stored the new digest with the old outputs.
    // Checked after the digest is taken, so a write as it is read is seen too (checked before,
    // such a write's digest was recorded with the old outputs: ingestRace.test).
    // Synchronous, as the memo's own stat: a thread-pool trip each took 21 ms over tokio's 297 sources, 1.2 ms so.
    const st = statOf(abs);
    if (!st || digest === undefined) return { stored: false, reason: 'input-missing' };
    if (changedSince(abs, st, sinceOn(st, x.startedAt, skew))) return { stored: false, reason: 'input-modified-during-compile' };
    inputs.push([table.normalise(f), digest]);
  }
  const absent = absentModuleFiles(dep.files, cwd, (st) => sinceOn(st, x.startedAt, skew));
  if (absent === undefined) return { stored: false, reason: 'input-modified-during-compile' };
  for (const f of absent) inputs.push([table.normalise(f), ABSENT]);
  // The archives of its -L native dirs its rlib or staticlib bundled, which its key holds by name alone (bundledArchives.ts).
  const bundled = x.mode === 'whole' ? await bundledArchives(inv, cwd, table, files, x.components, (st) => sinceOn(st, x.startedAt, skew)) : [];
  if (typeof bundled === 'string') return { stored: false, reason: bundled };
  inputs.push(...bundled.filter(([p]) => !inputs.some(([q]) => q === p)));
  const inputPaths = inputs.map(([p]) => p);
  const valueReads = await readAsValues(dep.envDeps.map((e) => e.name), dep.files.map((f) => inputOnDisk(cwd, f)), externFiles(inv, cwd));
  const included = await includedPaths(dep.envDeps, outDirOf(table), dep.files.map((f) => inputOnDisk(cwd, f)), externFiles(inv, cwd));
  const envDeps: [string, string | null][] = dep.envDeps.map((e) => [e.name, envDepValue(e.name, e.value, inputPaths, table, valueReads.has(e.name), included.has(e.name))]);
  // An absolute input not known to be made from the checkout is recorded as it is too (checkoutInSource.ts).
  const named = await recordedInputs([...dep.files, ...asmPaths], table, cwd, inv, dep.envDeps, envDeps);
  if (named.refused) return { stored: false, reason: 'absolute-input' };
  for (const [p, d] of [...inputs]) {
    if (!p.startsWith('@@sc:')) continue;
    const raw = table.expand(p);
    if (named.both.has(raw)) inputs.push([raw, d]);
    else if (named.near.has(raw)) inputs.push([nearInput(p, raw), d]);
  }
  // Recorded in the order the entry key takes them (entryKey.ts), as the published input set and entry
  // carry them: a reader of the version before digests the set's paths in its order and compares an
  // entry's inputs in it. In dep-info order it missed every entry of this version, and refused as a
  // record fault one whose set listed the paths sorted and whose writer read them otherwise, a moved
  // module's (SPLITCACHE_REMOTE_RECORD in the build, where it only missed before).
  inputs.sort(byPath);
  envDeps.sort(byPath);

  let names: string[];
  let rlinkBytes: Buffer | undefined;
  if (x.mode === 'whole') {
    names = wholeOutputs(inv);
    if (inv.codegen.get('split-debuginfo') === 'unpacked') names.push(...unpackedDwarfNames(inv, outDir, names, unpackedKeepsObjects(inv, x.host)));
  } else {
    rlinkBytes = staged?.rlink ?? (await readFile(pathOf(`${stem}.rlink`)));
    names = staged?.names ?? splitOutputNames(inv, outDir, rlinkBytes, cwd);
    if (names.length === 0) return { stored: false, reason: 'rlink-without-objects' };
    // A crate it links from elsewhere in place of one of this call's own: another checkout's hit would link it too (rlinkCrates.ts).
    if (foreignCrateFile(listRlinkPaths(rlinkBytes).map((p) => table.normalise(p)), inv, cwd, table)) return { stored: false, reason: 'rlink-foreign-crate' };
  }

  // One stat per file serves the size check here and, below, the memo's check that a file did not change while read.
  const stats = new Map<string, BigIntStats>();
  let total = 0;
  for (const name of names) {
    if (name.endsWith('.rlink') && rlinkBytes) {
      total += rlinkBytes.length;
      continue;
    }
    const st = await stat(pathOf(name), { bigint: true });
    stats.set(name, st);
    total += Number(st.size);
  }
  if (total > x.maxEntryBytes) return { stored: false, reason: 'too-large' };
  checkRoom(store.blobs.tmpDir, total, names.length);

  const outputs: OutputRecord[] = [];
  let bytes = 0;
  const formOf = (name: string): OutputRecord['form'] => (name.endsWith('.d') ? 'text' : name.endsWith('.rlink') ? 'rlink' : 'raw');
  const storeNamed = (name: string) => storeOutput(store, pathOf(name), name, formOf(name), formOf(name) === 'rlink' ? rlinkBytes : undefined, stats.get(name), table, x.rlinkVersion, [...named.both]);
  for (const name of names) {
    const path = pathOf(name);
    const form = formOf(name);
    const { digest, size } = await storeNamed(name);
    bytes += size;
    const role: OutputRecord['role'] = form === 'rlink' ? 'rlink' : x.mode === 'split' && isObjectFile(name) ? 'object' : 'output';
    outputs.push({ name, digest, size, form, role });
    // The crates built next take this rlib's digest from the memo (unless it changed while read).
    if (form === 'raw' && role === 'output' && !staged) await files.remember(path, digest, stats.get(name));
  }

  // Less the prefixes a source holds as text, which a diagnostic quotes as they are (outputTable.ts).
  const shown = await outputTable(table, [x.stdout, x.stderr], [...dep.files, ...asmPaths], cwd);
  const stdout = normaliseOutput(x.stdout, shown);
  const stderr = normaliseOutput(withoutRunTimings(x.stderr), shown);
  // The form its diagnostics were rendered in, if it printed any: a result of another form than
  // the default has an entry key of its own, which a reader of that form asks for (remoteTier.ts).
  const display = hasDiagnostics(stderr) ? diagnosticForm(inv) : undefined;
  const entryKey = entryKeyOf(x.manifestKey, inputs, envDeps, display);
  const entry: EntryRecord = {
    v: 1, mode: x.mode, crateName: inv.crateName!, crateType: x.crateType, outputs, stdout, stderr, exitCode: 0,
    producer: x.producer, createdAt: Date.now(), rustcVersion: x.rustcVersion, compileMs: x.compileMs, inputs,
    command: inv.args.map((a) => table.normaliseText(a)),
  };
  // A blob whose name was taken, which a hit then found bad and removed, is written again, before the
  // commit and after it (removedBlobs.ts): the entry named a blob gone, a compile at its next lookup.
  if (!(await writtenAgain(store, removals, outputs, storeNamed))) return { stored: false, reason: 'blob-removed' };
  await store.commitEntry({
    manifestKey: x.manifestKey,
    manifest: { v: 1, crateName: inv.crateName!, components: x.components },
    result: display === undefined ? { entryKey, inputs, envDeps } : { entryKey, inputs, envDeps, display },
    entry,
  });
  if (!(await writtenAgain(store, removals, outputs, storeNamed))) {
    await store.evictEntries(new Set([entryKey]), Date.now(), false);
    return { stored: false, reason: 'blob-removed' };
  }
  return { stored: true, entryKey, bytes, inputs, envDeps };
}

export function ingestError(cause: unknown): SplitcacheError {
  if (cause instanceof SplitcacheError) return cause;
  if (isDiskFull(cause)) {
    return new SplitcacheError('SPLITCACHE_STORE_FULL', 'the store\'s disk is full', { cause });
  }
  return new SplitcacheError('SPLITCACHE_INGEST', `cannot store outputs: ${(cause as Error)?.message ?? String(cause)}`, { cause });
}

/**
 * Stores one output as a blob. A large raw file (an rlib, an object) is
 * streamed into the blob dir; the rest is read whole, since dep-info and the
 * .rlink have their paths normalised first. A file whose size is not the one
 * its stat gave (it changed while read) is refused, not stored short.
 */
async function storeOutput(
  store: Store, path: string, name: string, form: OutputRecord['form'], rlink: Buffer | undefined,
  st: BigIntStats | undefined, table: PrefixTable, rlinkVersion: string, named: readonly string[],
): Promise<{ digest: Digest; size: number }> {
  const size = st ? Number(st.size) : undefined;
  const changed = () => new SplitcacheError('SPLITCACHE_INGEST', `${name} changed size while it was being stored`);
  if (form === 'raw' && size !== undefined && size > SYNC_IO_MAX_BYTES) {
    const stored = await store.blobs.writeFrom(path);
    if (stored.size !== size) throw changed();
    return stored;
  }
  const raw = rlink ?? (await readWhole(path, size));
  if (size !== undefined && raw.length !== size) throw changed();
  let data: Uint8Array = raw;
  // The inputs recorded as they are too are named to cargo so as well (checkoutInSource.ts).
  if (form === 'text') data = Buffer.from(addDepInfoInputs(normaliseDepInfo(raw.toString('utf8'), table), named));
  else if (form === 'rlink') data = rewriteRlink(raw, (s) => table.normalise(s), { expectRustcVersion: rlinkVersion });
  return { digest: await store.blobs.write(data), size: data.length };
}

/** The dep-info parsed; undefined where it can't be because a path of the call's holds a control character. */
function parseDepInfoOf(text: string, table: PrefixTable): ReturnType<typeof parseDepInfo> | undefined {
  try {
    return parseDepInfo(text);
  } catch (err) {
    if ((err as SplitcacheError).code === 'SPLITCACHE_DEPINFO_MALFORMED' && rlinkUnwritable(table)) return undefined;
    throw err;
  }
}
