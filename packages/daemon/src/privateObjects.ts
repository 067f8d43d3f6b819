import { readFile, rename, rm, unlink } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { listRlinkPaths, rewriteRlink } from '@splitcache/paths';
import { unpackedKeepsObjects, type Invocation } from '@splitcache/rustc';
import { tempSuffix, writeFileAtomicSync } from '@splitcache/store';

/**
 * Each link step links objects under names of its own call's, and an `.rlink` rewritten to name them.
 *
 * `rustc -Zlink-only` deletes the objects it linked once its linker is done. A build stopped with
 * Ctrl-C can leave its link step running (its linker outlives the signal), and a build started at
 * once writes the same crate's objects at the same paths (a hit's replay, a miss's -Zno-link):
 * the old step then deleted the new build's objects, whose link failed with the linker's `cannot
 * open …rcgu.o: No such file or directory`, was taken for a split fault (SPLITCACHE_LINK_FAILED)
 * and evicted a good entry (Ctrl-C'd builds of a Debian-crates workspace; cli/test/ownLinkObjects.test.ts). Under names of
 * its own each step deletes only its own. The linked outputs are the same bytes: no object's name
 * reaches a binary, a `.so` or a `.dwp` (checked with lld, bfd and gold, debuginfo, LTO,
 * split-debuginfo packed, a proc-macro; docs/RELIABILITY.md). The names are the form staleTemps.ts
 * sweeps (`<object>.sc-replay-<pid36>-<n>-<random>`), so those of a link step killed along with
 * its daemon are removed by the next daemon; the daemon removes its calls' own after each call ends (OwnObjects).
 */

/**
 * Whether `name` (a file the `.rlink` names) goes to the link step under a name of the call's
 * own: one that rustc deletes once it has linked, and whose name reaches no output. An object,
 * but where `-C split-debuginfo=unpacked` keeps the objects for the binary's debug info (its
 * DWARF names them), or where the link step also writes an archive (an rlib beside a cdylib, a
 * staticlib), whose members are named after the objects: the rlib then differed from a plain
 * build's, and its dependants missed (cli/test/libraryTypes.test.ts), or where a link arg has the
 * linker name its inputs (a map file: linkerNamesInputs). A `.dwo` where it is packed into a `.dwp`.
 */
export function linkDeletes(name: string, inv: LinkedCall, host: string): boolean {
  // The name first, and the args scanned once a call: a miss asks of every path its .rlink names (each
  // dependency's rlib too), and a scan per path took 3.2-3.9 ms a miss (300 rlibs, 107 args) and
  // 0.12-0.22 ms a hit (16 objects); now 0.04-0.08 ms and 0.02-0.05 ms.
  const object = name.endsWith('.o');
  if (!object && !name.endsWith('.dwo')) return false;
  if (inv.crateTypes.some((t) => ARCHIVES.has(t)) || namesInputs(inv.args)) return false;
  if (object) return !unpackedKeepsObjects(inv as Invocation, host);
  return inv.codegen.get('split-debuginfo') === 'packed';
}

/** linkerNamesInputs, read once per call's args (an array that lives as long as its Invocation). */
function namesInputs(args: readonly string[]): boolean {
  let v = scanned.get(args);
  if (v === undefined) scanned.set(args, (v = linkerNamesInputs(args)));
  return v;
}
const scanned = new WeakMap<readonly string[], boolean>();

/** What linkDeletes reads of a call. */
export type LinkedCall = Pick<Invocation, 'args' | 'crateTypes' | 'codegen' | 'unstable' | 'target'>;

/**
 * Whether a `-C link-arg(s)` asks the linker to write its input files' names where a user reads
 * them: a map file (`-Wl,-Map=app.map`, as firmware builds keep for size analysis), `--trace`,
 * `--cref`, `--why-extract`, a make-style dependency file (`--dependency-file=link.d`, bfd and
 * lld) and lld's `--reproduce` archive; a nightly's `-Z pre-link-arg(s)` and `-l link-arg=` too (the latter's
 * dependency file named ….sc-replay-… objects: cli/test/linkerDepFile.test.ts). Under names of the call's own, such a map named each object
 * `….rcgu.o.sc-replay-<pid>-<n>-<random>` and changed with every build (a review's finding), as did
 * the dependency file, whose rules named files no plain build makes (a hunt's repro, cli/test/linkerDepFile.test.ts).
 */
function linkerNamesInputs(args: readonly string[]): boolean {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    let value: string | undefined;
    if (a.startsWith('-l')) {
      // A nightly's `-Zunstable-options -l link-arg=…` (`:+verbatim` too) hands its value to the linker as is.
      value = /^link-arg(?::[^=]*)?=(.*)$/s.exec(a === '-l' ? args[++i] ?? '' : a.slice(2))?.[1];
    } else {
      const option = a === '-C' || a === '--codegen' || a === '-Z' ? args[++i] ?? '' : a.startsWith('--codegen=') ? a.slice(10) : /^-[CZ]/.test(a) ? a.slice(2) : '';
      // A nightly's `-Z pre-link-arg(s)` reaches the linker as a link arg does.
      value = /^(?:pre[-_])?link[-_]args?=(.*)$/s.exec(option)?.[1];
    }
    if (value !== undefined && NAMES_INPUTS.test(value)) return true;
  }
  return false;
}
const NAMES_INPUTS = /(?:^|[\s,])(?:-Map|--Map|-M|--print-map|-t|--trace|--cref|--why-extract|--dependency-file|--reproduce)(?:[=\s,]|$)/;

/** The crate types whose output is an archive of the crate's objects, each a member named after its file. */
const ARCHIVES = new Set(['rlib', 'lib', 'staticlib']);

/** A call's own suffix for its objects' names. */
export const ownSuffix = (): string => `.sc-replay-${tempSuffix()}`;

/**
 * A miss's objects, as -Zno-link left them in the out dir, moved to names of the call's own, and
 * its `.rlink` rewritten to name them; the names, for the client to remove if its link fails. An
 * object already gone (deleted by an older link step) is left to the link, which then fails and
 * falls back as before; on any fault nothing is moved. Run once the objects are staged or stored.
 */
export async function ownMissObjects(rlinkPath: string, inv: LinkedCall & Pick<Invocation, 'outDir'>, cwd: string, host: string): Promise<string[]> {
  const outDir = resolve(cwd, inv.outDir!);
  const moved = new Map<string, string>();
  try {
    const rlink = await readFile(rlinkPath);
    const suffix = ownSuffix();
    for (const path of new Set(listRlinkPaths(rlink))) {
      if (!linkDeletes(path, inv, host) || resolve(cwd, dirname(path)) !== outDir) continue;
      try {
        await rename(path, path + suffix);
        moved.set(path, path + suffix);
      } catch {
        /* gone already: its link fails as it would have */
      }
    }
    if (moved.size === 0) return [];
    const rewritten = rewriteRlink(rlink, (s) => moved.get(s));
    writeFileAtomicSync(`${rlinkPath}${ownSuffix()}`, rlinkPath, rewritten, 0o644);
    return [...moved.values()];
  } catch {
    // The .rlink unreadable, or not written: the objects go back to the names it has.
    await Promise.all([...moved].map(([path, own]) => rename(own, path).catch(() => rm(own, { force: true }))));
    return [];
  }
}

/**
 * How long what a call's link step left of its objects stays once the call has ended. A client
 * killed mid-link (SIGKILL, the OOM killer; bin/splitcache's bash too) leaves its rustc
 * -Zlink-only linking on, which still needs them: removed at the call's end, that orphan's link
 * failed (`cannot open …rcgu.o.sc-replay-…`) and, under the node client, left its `rustcXXXXXX`
 * temp dir in the out dir, where before it linked. A daemon gone first leaves them to the next
 * daemon's stale-temp sweep (staleTemps.ts).
 */
export const ORPHAN_LINK_GRACE_MS = 10 * 60_000;

/**
 * The objects each call's link step was given under names of its own, by the call's token:
 * removed ORPHAN_LINK_GRACE_MS after the call ends. A link step that linked has deleted them
 * already; one that failed left them (its client removes them then), and so does one whose
 * client was killed, once it is done.
 */
export class OwnObjects {
  private readonly byToken = new Map<string, string[]>();

  note(token: string, paths: readonly string[]): void {
    if (paths.length === 0) return;
    // Bounded as a safeguard, as HeldHits is: a client that never ends its calls would grow it for good.
    if (this.byToken.size >= 10_000) this.byToken.delete(this.byToken.keys().next().value!);
    this.byToken.set(token, [...paths]);
  }

  /** The call of `token` has ended: what its link step left of its objects goes. */
  drop(token: string): void {
    const paths = this.byToken.get(token);
    if (!paths) return;
    this.byToken.delete(token);
    const timer = setTimeout(() => {
      for (const path of paths) void unlink(path).catch(() => undefined);
    }, ORPHAN_LINK_GRACE_MS);
    timer.unref();
  }
}
