import { normaliseOutput, placeholderFor, PrefixTable, type PrefixEntry } from '@splitcache/paths';
import { readInput } from './inputBytes.js';
import { inputOnDisk } from './inputPath.js';

/** Inputs larger than this are not searched (a generated table, a blob `include_bytes!` reads). */
const SEARCHED_BYTES = 16 * 1024 * 1024;

/**
 * The table a result's stdout and stderr are normalised with: the call's, less each prefix
 * whose path a source of the crate holds as text, where the output names that prefix. A
 * diagnostic quotes the source line it points at: a literal `"/tmp/app.sock"` on a warned line
 * was stored as `"@@sc:tmp@@/app.sock"`, and a hit under another `TMPDIR` showed a line that was
 * in no file (`let mut p = "/tmp/h/othertmp/app.sock";`), and a suggestion copying the literal
 * would have had `cargo fix` or an editor write that path into the source. The literal is the
 * same in every checkout whose input digests match, so it is stored as it is.
 *
 * An input is searched for the prefixes it does not lie under (by the prefix that normalises its
 * path; a relative one lies under the call's directory), and for the checkout's own (cwd, pkg),
 * whose sources are written, not made: a file generated into OUT_DIR may name OUT_DIR, as each
 * checkout's build script writes it. Only outputs that may quote a line are looked at: not
 * cargo's artifact notices, which name the target dir for every crate. Such a path that an output also names as a
 * place (`--> /tmp/x/src/lib.rs`, under no longer prefix) is then shown as this checkout had it.
 */
export async function outputTable(table: PrefixTable, outputs: readonly Uint8Array[], inputs: readonly string[], cwd: string): Promise<PrefixTable> {
  // Artifact notices name outputs, never a quoted line: every crate's name the target dir so.
  const quoting = outputs.filter((o) => o.length > 0).map((o) => Buffer.from(withoutArtifactNotices(Buffer.from(o.buffer, o.byteOffset, o.byteLength).toString('utf8'))));
  const searched = new Set<string>();
  let shown = table;
  // A prefix left out may uncover a shorter one it lay under (a checkout under TMPDIR or a base
  // dir): the literal `"/base/a/data"` was then stored as `"@@sc:base0@@/a/data"`. So again, with
  // the prefixes the output now names, until no more is held.
  for (;;) {
    const text = quoting.map((o) => normaliseOutput(o, shown));
    const named = shown.entries.filter((e) => !searched.has(e.path) && text.some((o) => o.includes(placeholderFor(e.name))));
    if (named.length === 0) return shown;
    for (const e of named) searched.add(e.path);
    const held = await heldBy(table, named, inputs, cwd);
    if (held.size === 0) return shown;
    shown = new PrefixTable(shown.entries.filter((e) => !held.has(e.path)));
  }
}

/**
 * Compiled crates and libraries a dep-info may list (`-Zbinary-dep-depinfo`: every rlib the crate
 * reads, up to 16 MiB each): no diagnostic quotes a line of them, so they are not read.
 */
const COMPILED = /\.(rlib|rmeta|so|a|dylib|dll|lib)$/;

/** The paths of `named` that an input holds as text (not the prefix it lies under, but for the checkout's own). */
async function heldBy(table: PrefixTable, named: readonly PrefixEntry[], inputs: readonly string[], cwd: string): Promise<Set<string>> {
  const held = new Set<string>();
  for (const input of inputs) {
    if (COMPILED.test(input)) continue;
    const own = lyingUnder(table, input, cwd);
    const sought = named.filter((e) => !held.has(e.path) && (e.path !== own || CHECKOUT.has(e.name)));
    if (sought.length === 0) continue;
    const bytes = (await readInput(inputOnDisk(cwd, input), SEARCHED_BYTES))?.bytes;
    if (bytes === undefined) continue;
    for (const e of sought) if (holdsPath(bytes, e.path)) held.add(e.path);
  }
  return held;
}

/**
 * Whether `bytes` hold `path` as a path of its own, not as part of a longer name: `/var/tmp` and
 * `/tmp-old` don't hold `/tmp`. Taken as held, a prefix was left out, and a place the output names
 * under it (`--> /x/dep/src/lib.rs`) stored as the producer had it.
 */
function holdsPath(bytes: Buffer, path: string): boolean {
  for (let at = bytes.indexOf(path); at !== -1; at = bytes.indexOf(path, at + 1)) {
    if (!NAME_BYTE.test(String.fromCharCode(bytes[at - 1] ?? 0x20)) && !NAME_BYTE.test(String.fromCharCode(bytes[at + Buffer.byteLength(path)] ?? 0x20))) return true;
  }
  return false;
}
/** A byte that goes on a file name (or a path, before it). */
const NAME_BYTE = /[A-Za-z0-9._~+-]/;

/** The checkout's prefixes: a source there holding their path has it written in, not made by this checkout's build. */
const CHECKOUT = new Set(['cwd', 'pkg']);

function withoutArtifactNotices(text: string): string {
  return text.split('\n').filter((l) => !l.startsWith('{"$message_type":"artifact"')).join('\n');
}

/** The path of the prefix an input lies under (the one its path normalises by; the call's directory for a relative one). */
function lyingUnder(table: PrefixTable, input: string, cwd: string): string | undefined {
  if (!input.startsWith('/')) return table.entries.find((e) => e.name === 'cwd')?.path ?? cwd;
  const normalised = table.normalise(input);
  return table.entries.find((e) => normalised.startsWith(placeholderFor(e.name)))?.path;
}
