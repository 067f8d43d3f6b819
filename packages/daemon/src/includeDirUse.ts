import { open } from 'node:fs/promises';
import type { Invocation } from '@splitcache/rustc';
import { readInput } from './inputBytes.js';
import { inputOnDisk } from './inputPath.js';
import { withoutComments } from './rustComments.js';

/**
 * The env-deps normalised when a crate reads them only to include a file
 * from under them (envDepValue.ts): the build script's output dir, and the
 * package's own dir (`include_str!(concat!(env!("CARGO_MANIFEST_DIR"),
 * "/README.md"))`, a common way to take a crate's docs from its README).
 */
export const INCLUDE_DIRS = ['OUT_DIR', 'CARGO_MANIFEST_DIR'] as const;

/**
 * `include!(concat!(env!("<name>")` and its include_str!/include_bytes! forms, any brackets and
 * spacing. For CARGO_MANIFEST_DIR only the data forms: code taken in by `include!` from an
 * absolute path carries that path in its spans, so `file!()` and its panic locations named the
 * producer's checkout on a hit elsewhere (for OUT_DIR, the generated code of bindgen and prost,
 * that stays a documented limit: docs/ARCHITECTURE.md).
 */
const includeFrom = (name: string, forms: string) => new RegExp(`\\binclude${forms}!\\s*[([{]\\s*concat!\\s*[([{]\\s*env!\\s*[([{]\\s*"${name}"`, 'g');
const FORMS = new Map<string, RegExp>([
  ['OUT_DIR', includeFrom('OUT_DIR', '(?:_str|_bytes)?')],
  ['CARGO_MANIFEST_DIR', includeFrom('CARGO_MANIFEST_DIR', '(?:_str|_bytes)')],
]);

/**
 * A macro of an include's name, defined or imported (`macro_rules! include_str`, `use m::paste as
 * include_bytes`, `use dep::include;`, `use dep::{include, …}`, or any macro of a
 * `#[macro_use] extern crate`'s, which shadows the prelude's): the crate's include forms may
 * paste their argument, so none of them counts. The plain imports were not seen: a crate that
 * `use`d a dependency's `include!` hit in a copy of the checkout and printed the first one's path.
 */
const SHADOWED = /\bmacro_rules!\s*include(?:_str|_bytes)?\b|\bas\s+include(?:_str|_bytes)?\b/;
/**
 * The imports by the same name, sought in code alone (withoutComments): typenum's docs show
 * `#[macro_use] extern crate typenum;` in the example of a block doc comment, and counted, it lost the hits
 * the rule is for.
 */
const IMPORTED = new RegExp(
  [
    /::\s*include(?:_str|_bytes)?\b(?!\s*(?:!|::))/.source, // not a module's path (`crate::include::x`)
    /[{,]\s*include(?:_str|_bytes)?\s*[,}]/.source,
    /#\s*\[\s*macro_use\b[^\]]*\](?:\s*#\s*\[[^\]]*\])*\s*(?:pub(?:\s*\([^)]*\))?\s+)?extern\s+crate\b/.source,
  ].join('|'),
);

/** Whether the (unescaped) text shadows an include macro (SHADOWED, IMPORTED). */
export function shadowsInclude(text: string): boolean {
  return SHADOWED.test(text) || ((text.includes('include') || text.includes('macro_use')) && IMPORTED.test(withoutComments(text)));
}

/**
 * The text with the escapes a literal may spell a name with undone (`\x5f`, `\u{5f}`, a line
 * continuation): `env!("CARGO_MANIFEST\x5fDIR")` is the variable, and was not counted (a hunting
 * helper: a copy in another checkout hit, and printed the first checkout's path). Undone
 * everywhere, comments included: a mention too many costs a hit elsewhere, never a build.
 */
export function unescaped(text: string): string {
  // Most texts hold none of them, and a search for each is cheap: the replace costs ~10 ms a MB.
  if (!text.includes('\\x') && !text.includes('\\u{') && !text.includes('\\\n') && !text.includes('\\\r\n')) return text;
  return text.replace(/\\x([0-9a-fA-F]{2})|\\u\{([0-9a-fA-F_]{1,8})\}|\\\r?\n\s*/g, (m, x?: string, u?: string) => {
    if (x) return String.fromCharCode(parseInt(x, 16));
    if (!u) return '';
    const cp = parseInt(u.replace(/_/g, ''), 16);
    return cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
  });
}

/**
 * Text that can read any variable without naming it: `env!`/`option_env!` of something but a
 * literal (`env!(concat!("TN", "_OP"))`, a macro's `env!($name)`), or a macro named by a
 * metavariable (`$e!($n)`), which can rebuild `env!("<name>")` from the tokens of an include form
 * it is handed (`grab!(include!(env!("TN_OP")))`). Either one let a copy of the checkout hit
 * and print the first one's path (includedPathEnv.ts; for OUT_DIR and CARGO_MANIFEST_DIR too,
 * `env!(concat!("OUT", "_DIR"))` beside an include from there). Checked on Debian's 157 crates
 * here: none that includes from either dir has such text, so it costs them no hit. `$a != $b`
 * is no call (rustc lexes `!=` as one token): taken for one, a crate comparing its macro's
 * arguments so lost its hits in other checkouts (encoding_rs and bitflags here have such text).
 */
export const NAME_MADE = /\b(?:option_)?env!\s*[([{]\s*(?![\s"])|\$[A-Za-z_]\w*\s*!(?!=)/;

/** Inputs up to this size are read whole, as text; a larger one is searched for the name as it streams. */
export const WHOLE_TEXT_MAX = 16 << 20;

/**
 * Which of INCLUDE_DIRS a crate that read them (among its `envDeps`) has
 * inputs (`files`: its dep-info inputs, absolute; files under OUT_DIR
 * included) that name anywhere but in the forms that include a file from
 * under them. envDepValue normalises such a variable only for a crate that
 * includes a file from there: its path then reaches nothing but debuginfo and
 * panic locations. A crate that also pastes the value into its code
 * (`env!("OUT_DIR")` as a string, `concat!` to a file it reads at run time, a
 * test's fixtures found through CARGO_MANIFEST_DIR) must keep it exactly, or
 * a hit from another directory would read the producer's files. Any other
 * mention counts, comments included: a miss in another directory costs time,
 * a wrong path costs a build. For CARGO_MANIFEST_DIR, `externs` (the call's
 * --extern files) count too: a dependency that names it may paste it through
 * a macro. An OUT_DIR that a macro from another crate expands as a value is
 * not seen here (docs/ARCHITECTURE.md). The answer depends only on the files'
 * contents, which a result pins by digest (an extern's is in the key), so
 * ingest and the remote tier decide alike.
 *
 * Every input is read, whatever its name: `include!` takes code from a file
 * of any name (`gen.inc`, `tables.in`, none), and only `.rs` files were read
 * before, so a generated `gen.inc` holding `env!("OUT_DIR")` let a checkout
 * in another directory hit with the producer's OUT_DIR in its code. A data
 * file that mentions the name (a README through `include_str!`) costs the
 * hits elsewhere too. An input larger than WHOLE_TEXT_MAX counts on any mention.
 */
export async function readAsValues(envDeps: readonly string[], files: readonly string[], externs: readonly string[] = []): Promise<Set<string>> {
  const names = INCLUDE_DIRS.filter((n) => envDeps.includes(n));
  const read = new Set<string>();
  const mentioned = new Set<string>();
  let shadowed = false;
  for (const file of files) {
    if (read.size === names.length) break;
    const seen = await namedAsValue(file, names.filter((n) => !read.has(n)));
    for (const name of seen.values) read.add(name);
    for (const name of seen.mentioned) mentioned.add(name);
    shadowed ||= seen.shadows;
    if (seen.nameMade) for (const name of names) read.add(name);
  }
  // An include macro shadowed in one file is used in others (a module's, by textual scope).
  if (shadowed) for (const name of mentioned) read.add(name);
  // A macro of a dependency's may paste CARGO_MANIFEST_DIR into this crate's code (insta's
  // assert_snapshot! finds its snapshots so): its definition is in that crate's rmeta (a
  // macro_rules' tokens) or binary (a proc-macro's), which name the variable. Normalised for a
  // crate that also took its README from there, a hit in another checkout read the producer's
  // snapshots. Looked for only where the rule would normalise it; OUT_DIR keeps its documented
  // limit (include_proto!-style macros, the common case, include a file and keep their hits).
  if (names.includes('CARGO_MANIFEST_DIR') && !read.has('CARGO_MANIFEST_DIR')) {
    for (const ext of externs) {
      if (await contains(ext, MANIFEST_DIR_NAME)) {
        read.add('CARGO_MANIFEST_DIR');
        break;
      }
    }
  }
  return read;
}

/**
 * What an --extern file holding the variable's name holds: `MANIFEST_DIR`, not the whole name,
 * so a macro that builds it with concat! (`env!(concat!("CARGO_", "MANIFEST_DIR"))`, whose
 * rmeta holds the two literals apart) counts too: a crate using one hit in a copy of the
 * checkout and printed the first one's dir (a reviewing helper, 2026-12-07). A name split
 * inside `MANIFEST_DIR` is not seen (docs/RELIABILITY.md, Known limits).
 */
const MANIFEST_DIR_NAME = Buffer.from('MANIFEST_DIR', 'latin1');

/**
 * Of `names`, those the file names other than to include a file from under them, and those it
 * names at all; whether it shadows an include macro, and whether it may read one unnamed (NAME_MADE).
 */
async function namedAsValue(file: string, names: readonly string[]): Promise<{ values: string[]; mentioned: string[]; shadows: boolean; nameMade: boolean }> {
  const none = { values: [], mentioned: [], shadows: false, nameMade: false };
  if (names.length === 0) return none;
  const input = await readInput(file, WHOLE_TEXT_MAX);
  if (!input) return none; // gone meanwhile: its digest won't match either
  if (!input.bytes) {
    const found: string[] = [];
    for (const name of names) if (await contains(file, Buffer.from(name, 'latin1'))) found.push(name);
    return { values: found, mentioned: found, shadows: false, nameMade: false };
  }
  const text = unescaped(input.bytes.toString('latin1'));
  const mentioned = names.filter((name) => text.includes(name));
  const values = mentioned.filter((name) => text.split(name).length - 1 > (text.match(FORMS.get(name as (typeof INCLUDE_DIRS)[number])!)?.length ?? 0));
  return { values, mentioned, shadows: shadowsInclude(text), nameMade: NAME_MADE.test(text) };
}

/** Whether `needle` occurs in the file, read a chunk at a time (each chunk keeps the tail of the one before). */
export async function contains(file: string, needle: Buffer): Promise<boolean> {
  const fh = await open(file, 'r').catch(() => undefined);
  if (!fh) return false;
  try {
    const keep = needle.length - 1;
    const buf = Buffer.alloc(1 << 20);
    let kept = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, kept, buf.length - kept, null);
      if (bytesRead === 0) return false;
      const end = kept + bytesRead;
      if (buf.subarray(0, end).includes(needle)) return true;
      kept = Math.min(keep, end);
      buf.copyWithin(0, end - kept, end);
    }
  } finally {
    await fh.close();
  }
}

/** A call's --extern files, absolute: readAsValues's `externs`. */
export function externFiles(inv: Invocation, cwd: string): string[] {
  return inv.externs.flatMap((e) => (e.path ? [inputOnDisk(cwd, e.path)] : []));
}
