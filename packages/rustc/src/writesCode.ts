import type { Invocation } from './invocation.js';

/** `--emit` kinds that write no code: what `cargo check` and clippy ask for. */
const NO_CODE = new Set(['metadata', 'dep-info', 'mir']);

/**
 * Whether the call writes code (an `--emit` of objects, a link, asm or IR): only code carries
 * what some options put in it by absolute path, such as a `.dwo` file's name or a coverage map's
 * sources. A metadata-only call (`cargo check`, clippy) names none of them, and is shared between
 * checkouts and target dirs as any other.
 */
export function writesCode(inv: Invocation): boolean {
  return inv.emit.some((e) => !NO_CODE.has(e.kind));
}
