// Whether a `-Z terminal-urls=auto` call's rustc links its error codes (item 20 of manifestKey.ts).
import type { Invocation } from '@splitcache/rustc';

/**
 * With `-Z terminal-urls=auto`, rustc links each error code its diagnostics name (`warning[E0133]`,
 * which edition 2024 gives an unsafe operation in an `unsafe fn`) to its page with an OSC 8 escape,
 * in coloured text and in JSON's `rendered` (cargo's `diagnostic-rendered-ansi`), only where
 * COLORTERM is `truecolor` and TERM is `xterm-256color` (checked against rustc 1.97 nightly, and
 * 1.95 under RUSTC_BOOTSTRAP=1). Neither variable was keyed: a crate whose warnings were stored
 * without links hit in such a terminal and replayed them without, and one stored there put the
 * escapes in a CI log (a wrong-hits sweep's, bench/sweep). `on` or `off` for such a call (the last
 * `-Z terminal-urls` counts, as rustc reads them); undefined for any other.
 */
export function terminalUrlsAuto(inv: Invocation, env: Record<string, string>): 'on' | 'off' | undefined {
  let value: string | undefined;
  for (const z of inv.unstable) if (z === 'terminal-urls' || z.startsWith('terminal-urls=')) value = z.slice('terminal-urls='.length);
  if (value !== 'auto') return undefined;
  return env.COLORTERM === 'truecolor' && env.TERM === 'xterm-256color' ? 'on' : 'off';
}
