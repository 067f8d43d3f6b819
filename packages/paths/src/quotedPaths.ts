import { PrefixTable } from './prefixTable.js';

/**
 * Prefixes as quoted text holds them. rustc's JSON diagnostics (stderr under cargo) hold paths
 * in JSON strings, with a `\` or `"` escaped; dep-info's `# env-dep:` values have `\`, newline
 * and CR escaped. A path with one of those characters is written there escaped, so it is found
 * and put back escaped too. Put back raw, a checkout whose path held a `\` failed every build
 * that replayed another checkout's entries (cargo: `unknown escape character 'x'` in a replayed
 * dep-info), and one with a `"` broke the JSON lines, which cargo then printed raw and whose
 * artifact notices it never read (hunting helper). Tables of paths with none of those
 * characters are the same escaped or not, and take the plain path.
 */

/** `table` with each path as `escape` writes it, or undefined where no path changes. */
function escapedPaths(table: PrefixTable, escape: (path: string) => string): PrefixTable | undefined {
  const entries = table.entries.map((e) => ({ name: e.name, path: escape(e.path) }));
  return entries.some((e, i) => e.path !== table.entries[i]!.path) ? new PrefixTable(entries) : undefined;
}

const inJson = (path: string) => JSON.stringify(path).slice(1, -1);
/** As rustc writes an env-dep's value. */
export const inEnvDep = (path: string) => path.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r');

/** `table` as env-dep values hold its paths, or undefined where they hold them as they are. */
export function envDepTable(table: PrefixTable): PrefixTable | undefined {
  return escapedPaths(table, inEnvDep);
}

/** A compile's stdout or stderr normalised: JSON lines (`{…`) with paths as JSON strings hold them. */
export function normaliseOutput(bytes: Uint8Array, table: PrefixTable): Buffer {
  const json = escapedPaths(table, inJson);
  return json ? byLine(bytes, (l) => (l.startsWith('{') ? json : table).normaliseText(l)) : table.normaliseBytes(bytes);
}

/** What normaliseOutput made, for this checkout's table. */
export function expandOutput(bytes: Uint8Array, table: PrefixTable): Buffer {
  const json = escapedPaths(table, inJson);
  return json ? byLine(bytes, (l) => (l.startsWith('{') ? json : table).expandText(l)) : table.expandBytes(bytes);
}

function byLine(bytes: Uint8Array, map: (line: string) => string): Buffer {
  return Buffer.from(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8').split('\n').map(map).join('\n'));
}
