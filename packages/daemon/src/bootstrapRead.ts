import { readFileSync } from 'node:fs';
import { parseDepInfo } from '@splitcache/rustc';

/**
 * Whether the -Zno-link half of a crate that links read RUSTC_BOOTSTRAP with another value than
 * a plain call has (`plain`, undefined when unset): its dep-info (at `depInfo`) lists what
 * `env!`/`option_env!` read, with the value seen. Both halves need the variable for their -Z
 * flags (on a stable rustc), and rustc hands a crate its process environment; before, such a
 * binary printed Some("1") where a plain build's printed None, and `env!("RUSTC_BOOTSTRAP")`
 * compiled where a plain build fails.
 */
export function readsBootstrap(depInfo: string, plain: string | undefined): boolean {
  let text: string;
  try {
    text = readFileSync(depInfo, 'utf8');
  } catch {
    return false; // no dep-info: ingest says why it can't store
  }
  if (!text.includes('# env-dep:RUSTC_BOOTSTRAP')) return false;
  return parseDepInfo(text).envDeps.some((e) => e.name === 'RUSTC_BOOTSTRAP' && e.value !== plain);
}
