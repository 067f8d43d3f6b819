import type { PrefixTable } from '@splitcache/paths';
import { readInput } from './inputBytes.js';
import { contains, INCLUDE_DIRS, NAME_MADE, shadowsInclude, unescaped, WHOLE_TEXT_MAX } from './includeDirUse.js';

/**
 * The env-deps that name a file the build script generated in OUT_DIR, which the crate reads
 * only to include that file. typenum's build script says
 * `cargo:rustc-env=TYPENUM_BUILD_OP=<OUT_DIR>/op.rs` and its lib `include!(env!("TYPENUM_BUILD_OP"))`:
 * kept exactly, such a value missed in every checkout at another path, and with it each crate
 * above (generic-array, digest, sha2, blake3, …). Such a value reaches the code only as the file
 * it names, which is an input keyed by its digest, as OUT_DIR is where a crate includes a file
 * from under it (envDepValue.ts): envDepValue records it normalised.
 *
 * A variable qualifies when its value (`envDeps`, as this call has it) is a file under `outDir`
 * among the call's inputs (`files`, absolute), and every mention of its name in the inputs is
 * `include!`, `include_str!` or `include_bytes!` of `env!("<name>")`, one at least. Any other
 * mention keeps it exact (the value pasted as a string, a path read at run time), as does a
 * shadowed include macro (it may paste its argument), an input too large to be read whole that
 * names it, and an `--extern` file (`externs`) that names it: a dependency's macro may paste it.
 * An input that may read a variable without naming it (NAME_MADE) keeps every one exact.
 * The answer depends only on the files' contents, which a result pins by digest, so ingest, the
 * remote tier and every lookup decide alike.
 */
export async function includedPaths(
  envDeps: readonly { name: string; value?: string }[], outDir: string | undefined, files: readonly string[], externs: readonly string[],
): Promise<Set<string>> {
  const found = new Set<string>();
  const dir = outDir?.replace(/\/+$/, '');
  if (!dir?.startsWith('/')) return found;
  const fileSet = new Set(files);
  const names = envDeps
    .filter((e) => !(INCLUDE_DIRS as readonly string[]).includes(e.name) && e.name !== 'CLIPPY_CONF_DIR')
    .filter((e) => e.value?.startsWith(`${dir}/`) && fileSet.has(e.value))
    .map((e) => e.name);
  if (names.length === 0) return found;
  const valueRead = new Set<string>();
  const mentioned = new Set<string>();
  let shadowed = false;
  let anyName = false;
  for (const file of files) {
    const input = await readInput(file, WHOLE_TEXT_MAX);
    if (!input) continue; // gone meanwhile: its digest won't match either
    if (!input.bytes) {
      anyName = true; // not searched for NAME_MADE
      for (const name of names) if (await contains(file, Buffer.from(name, 'latin1'))) valueRead.add(name);
      continue;
    }
    const text = unescaped(input.bytes.toString('latin1'));
    for (const name of names) {
      const all = text.split(name).length - 1;
      if (all === 0) continue;
      mentioned.add(name);
      const included = text.match(includeOf(name))?.length ?? 0;
      if (included === 0 || all > included) valueRead.add(name);
      else found.add(name);
    }
    shadowed ||= shadowsInclude(text);
    anyName ||= NAME_MADE.test(text);
  }
  if (shadowed) for (const name of mentioned) valueRead.add(name);
  if (anyName) for (const name of names) valueRead.add(name);
  for (const name of found) {
    if (valueRead.has(name)) continue;
    for (const ext of externs) {
      if (await contains(ext, Buffer.from(name, 'latin1'))) {
        valueRead.add(name);
        break;
      }
    }
  }
  for (const name of valueRead) found.delete(name);
  return found;
}

/** `include!(env!("<name>"))` and its include_str!/include_bytes! forms, any brackets and spacing. */
function includeOf(name: string): RegExp {
  const quoted = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`\\binclude(?:_str|_bytes)?!\\s*[([{]\\s*env!\\s*[([{]\\s*"${quoted}"\\s*[)\\]}]\\s*[)\\]}]`, 'g');
}

/** The call's OUT_DIR, as its prefix table has it (prefixes.ts), for includedPaths. */
export function outDirOf(table: PrefixTable): string | undefined {
  return table.entries.find((e) => e.name === 'out_dir')?.path;
}
