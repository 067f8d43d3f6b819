import { resolve } from 'node:path';
import { outputStem, type Invocation } from '@splitcache/rustc';

/**
 * The libraries that calls' link steps are about to write, by call token: a
 * proc-macro's (or a Rust dylib's) shared library, which every crate that uses
 * it names with --extern and so digests for its key. Once the call ends well,
 * the daemon reads it in the background (FileDigestMemo.prime), before those
 * crates ask: until then each of them read it on its own critical path, a
 * file too young to be kept (5-19 ms for each of tokio's 8-10 MB proc-macros,
 * 3-8 ms for the fixture's, whose bin waited on it).
 */
export class LinkedLibraries {
  private readonly byToken = new Map<string, string>();

  /** Notes the library the call of `token` links, if its crate is one whose output others name. */
  note(token: string, inv: Invocation, cwd: string): void {
    const path = linkedLibrary(inv, cwd);
    if (path === undefined) return;
    // Bounded as a safeguard, as HeldHits is: calls whose end is never heard would grow it for good.
    if (this.byToken.size >= 10_000) this.byToken.clear();
    this.byToken.set(token, path);
  }

  /** The library of the call of `token`, which is forgotten. */
  take(token: string): string | undefined {
    const path = this.byToken.get(token);
    this.byToken.delete(token);
    return path;
  }
}

/** Where the link step of a proc-macro or dylib crate puts its library; undefined for other crates. */
export function linkedLibrary(inv: Invocation, cwd: string): string | undefined {
  if (!inv.crateTypes.some((t) => t === 'proc-macro' || t === 'dylib')) return undefined;
  if (inv.outFile !== undefined) return resolve(cwd, inv.outFile);
  if (inv.outDir === undefined) return undefined;
  const stem = outputStem(inv);
  const file = process.platform === 'darwin' ? `lib${stem}.dylib` : process.platform === 'win32' ? `${stem}.dll` : `lib${stem}.so`;
  return resolve(cwd, inv.outDir, file);
}
