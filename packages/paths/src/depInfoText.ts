import { PrefixTable } from './prefixTable.js';
import { envDepTable } from './quotedPaths.js';

/**
 * Dep-info (`.d`) as rustc writes it: a rule per output (`<output>: <dep> <dep>…`), an empty
 * rule per dependency (`<dep>:`), and `# env-dep:` lines. rustc escapes each space in a
 * dependency's path as `\ `, and none in an output's. So a prefix is written two ways in one
 * file, and one with a space in it is only found in the way it is written there; a checkout
 * whose path has a space needs its prefix escaped where a dependency is named, or cargo reads
 * the path as two and finds neither (then the crate is never fresh). Where a dependency is
 * named, prefixes are found and put back escaped, under a placeholder of their own
 * (`<name>.mk`); elsewhere as in free text. An env-dep value has its backslashes, newlines and
 * CRs escaped (`\\`, `\n`, `\r`), and a prefix is found and put back so there (quotedPaths.ts).
 * nightly's `# checksum:` lines (`-Zchecksum-hash-algorithm`) name a dependency as a rule does.
 */

const ESCAPED_SUFFIX = '.mk';

/** A path as rustc names a dependency in dep-info: each space escaped. */
function escapeSpaces(path: string): string {
  return path.replace(/ /g, '\\ ');
}

/** The table's prefixes as a dependency's path holds them, under the `.mk` names. */
function escapedTable(table: PrefixTable): PrefixTable {
  return new PrefixTable(table.entries.map((e) => ({ name: `${e.name}${ESCAPED_SUFFIX}`, path: escapeSpaces(e.path) })));
}

/** Normalises a dep-info file's text; `expandDepInfo(normaliseDepInfo(x, t), t) === x` for text with no `@@sc:` in it. */
export function normaliseDepInfo(text: string, table: PrefixTable): string {
  const escaped = escapedTable(table);
  const env = envDepTable(table);
  return text
    .split('\n')
    .map((line) => {
      if (line.startsWith(ENV_DEP)) return (env ?? table).normaliseText(line);
      // nightly's `# checksum:<hash> file_len:<n> <path>` names its dependency escaped, as a rule does.
      if (line.startsWith(CHECKSUM)) return escaped.normaliseText(line);
      if (line === '' || line.startsWith('#')) return table.normaliseText(line);
      // The rule's colon: the first one that ends the line or comes before a space.
      const colon = /:(?= |$)/.exec(line)?.index;
      if (colon === undefined) return table.normaliseText(line);
      const deps = line.slice(colon + 1);
      // An empty rule is named as a dependency is (escaped); an output's rule names its output as it is.
      if (deps === '') return `${escaped.normaliseText(line.slice(0, colon))}:`;
      return `${table.normaliseText(line.slice(0, colon))}:${escaped.normaliseText(deps)}`;
    })
    .join('\n');
}

/** Expands what normaliseDepInfo made, for this checkout's table: a dependency's prefix escaped as rustc escapes it. */
export function expandDepInfo(text: string, table: PrefixTable): string {
  const both = new PrefixTable([...table.entries, ...escapedTable(table).entries]);
  const env = envDepTable(table);
  if (!env) return both.expandText(text);
  return text.split('\n').map((line) => (line.startsWith(ENV_DEP) ? env : both).expandText(line)).join('\n');
}

const ENV_DEP = '# env-dep:';
const CHECKSUM = '# checksum:';

/**
 * Dep-info with `paths` added to each output's rule as dependencies, and an empty rule for each:
 * a file a hit's dep-info must name to cargo as it is, whatever it names under a placeholder
 * (daemon/checkoutInSource.ts). Added after normaliseDepInfo, they stay as they are.
 */
export function addDepInfoInputs(text: string, paths: readonly string[]): string {
  if (paths.length === 0) return text;
  const deps = paths.map(escapeSpaces);
  const lines = text.split('\n').map((line) => {
    if (line === '' || line.startsWith('#')) return line;
    const colon = /:(?= |$)/.exec(line)?.index;
    return colon === undefined || line.slice(colon + 1) === '' ? line : `${line} ${deps.join(' ')}`;
  });
  // Before the comments (`# env-dep:`), or at the end.
  const at = lines.findIndex((l) => l.startsWith('#'));
  const rules = deps.map((d) => `${d}:`);
  if (at >= 0) lines.splice(at, 0, ...rules, '');
  else lines.splice(lines.at(-1) === '' ? lines.length - 1 : lines.length, 0, ...rules);
  return lines.join('\n');
}

/**
 * Dep-info with each later naming of one of `paths` dropped, in an output's rule and among the
 * empty rules, with the blank line that came with a dropped empty rule. An input recorded as it
 * is too was added to the stored text at ingest (addDepInfoInputs) beside its placeholder form;
 * where the checkout's own path is that one (a build's generated code that includes a file of
 * its OUT_DIR by absolute path, hit in the same checkout), both expand to one path, and cargo was
 * given it twice where rustc names it once. Another path, even one named twice, is left as it is.
 */
export function dropRepeatedInputs(text: string, paths: Iterable<string>): string {
  const watched = new Set([...paths].map(escapeSpaces));
  if (watched.size === 0) return text;
  const emptyRules = new Set<string>();
  const out: string[] = [];
  let dropped = false;
  const lines = text.split('\n');
  for (const [i, line] of lines.entries()) {
    const colon = line === '' || line.startsWith('#') ? undefined : /:(?= |$)/.exec(line)?.index;
    if (colon === undefined) {
      // The blank line addDepInfoInputs put after the empty rules dropped: where one is already
      // there before them (an `# env-dep:` line follows), or where a comment follows (nightly's
      // `# checksum:` lines, which rustc writes right after the empty rules when no env-dep comes).
      if (line === '' && dropped && (out.at(-1) === '' || lines[i + 1]?.startsWith('#'))) continue;
      out.push(line);
      dropped = false;
      continue;
    }
    const deps = line.slice(colon + 1);
    if (deps === '') {
      const dep = line.slice(0, colon);
      if (watched.has(dep) && emptyRules.has(dep)) {
        dropped = true;
        continue;
      }
      emptyRules.add(dep);
      out.push(line);
      dropped = false;
      continue;
    }
    const seen = new Set<string>();
    const named = deps.slice(1).split(/(?<!\\) /);
    const kept = named.filter((d) => !watched.has(d) || (!seen.has(d) && seen.add(d)));
    out.push(kept.length === named.length ? line : `${line.slice(0, colon)}: ${kept.join(' ')}`);
    dropped = false;
  }
  return out.join('\n');
}

/** `# checksum:<hash> file_len:<n> <path>`: what names the file, and its path (escaped). */
const CHECKSUM_LINE = /^(# checksum:\S+ file_len:\d+ )(.*)$/;

/**
 * Dep-info with a `# checksum:` line (nightly's, for cargo's -Zchecksum-freshness) for each path
 * of `twins` that has none, copied from that of its twin (the path of a file alike to it, its
 * digest checked by the lookup), escaped as rustc writes it: a file a hit's dep-info names that
 * its rustc did not read (addDepInfoInputs) has none, and cargo, finding its checksum missing,
 * built the crate again on every build. Text with no such line (stable rustc) is left as it is.
 */
export function addChecksumTwins(text: string, twins: ReadonlyMap<string, string>): string {
  if (twins.size === 0 || !text.includes(CHECKSUM)) return text;
  const lines = text.split('\n');
  const byPath = new Map<string, string>();
  let last = -1;
  lines.forEach((line, i) => {
    const m = CHECKSUM_LINE.exec(line);
    if (m) (byPath.set(m[2]!, m[1]!), (last = i));
  });
  const sums: string[] = [];
  for (const [path, twin] of twins) {
    const head = byPath.get(escapeSpaces(twin));
    if (head !== undefined && !byPath.has(escapeSpaces(path))) sums.push(`${head}${escapeSpaces(path)}`);
  }
  // After the last checksum line, as rustc writes them.
  if (last >= 0) lines.splice(last + 1, 0, ...sums);
  return lines.join('\n');
}
