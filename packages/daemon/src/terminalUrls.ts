// What `-Z terminal-urls` changes, as a result's diagnostic form (diagnosticForm.ts), not as its key.
import { optionSpelled, type Invocation } from '@splitcache/rustc';

/**
 * `-Z terminal-urls` changes nothing but diagnostics: with it on, rustc links each error code its
 * diagnostics name (`warning[E0133]`) to its page with an OSC 8 escape, in coloured text only
 * (`--color=always`, human or short) and in JSON's `rendered` under `diagnostic-rendered-ansi`;
 * plain JSON and uncoloured text are the same bytes with it or without, and so are the outputs.
 * It is on bare or as `y`, `yes`, `on`; off as `n`, `no`, `off` (as without it); `auto` is on only
 * where COLORTERM is `truecolor` and TERM is `xterm-256color`; the last one given counts; rustc
 * refuses any other value (`true` and `false` too). Checked value by value against rustc 1.97
 * nightly and 1.95 under RUSTC_BOOTSTRAP=1, each in four environments and six diagnostic forms,
 * byte for byte (`cli/test/terminalUrlsShared.test.ts`). Keyed by its text (`auto` with what the
 * environment made of it), a crate that printed no diagnostic missed in a terminal whose variables
 * differ from CI's, and `=no` missed every entry of a build without it.
 */
const ON = new Set(['', 'y', 'yes', 'on']);
const TAKEN = new Set([...ON, 'n', 'no', 'off', 'auto']);

/** The value of a `-Z` option's text (`terminal-urls=v`, `_` spellings too) when it is a `-Z terminal-urls` rustc takes: `''` bare. */
function urlsValue(z: string): string | undefined {
  const spelled = optionSpelled(z);
  const value = spelled === 'terminal-urls' ? '' : spelled.startsWith('terminal-urls=') ? spelled.slice('terminal-urls='.length) : undefined;
  return value !== undefined && TAKEN.has(value) ? value : undefined;
}

/**
 * The call's arguments with each `-Z terminal-urls=auto` as the caller's environment decides it
 * (`yes` or `no`): what its rustc shows is then in its arguments, for its form (diagnosticForm.ts),
 * on a hit as on a miss. The same bytes as `auto` under that environment.
 */
export function urlsResolved(args: readonly string[], env: Record<string, string | undefined>): string[] {
  const to = env.COLORTERM === 'truecolor' && env.TERM === 'xterm-256color' ? 'yes' : 'no';
  const resolved = (z: string) => (urlsValue(z) === 'auto' ? `${z.slice(0, -'auto'.length)}${to}` : z);
  return args.map((a, i) => (a.startsWith('-Z') && a.length > 2 ? `-Z${resolved(a.slice(2))}` : args[i - 1] === '-Z' ? resolved(a) : a));
}

/** Whether the call's rustc links error codes where it colours them: its last `-Z terminal-urls` is on (`auto` resolved: urlsResolved). */
export function linksErrorCodes(inv: Pick<Invocation, 'unstable'>): boolean {
  let on = false;
  for (const z of inv.unstable) {
    const value = urlsValue(z);
    if (value !== undefined) on = ON.has(value);
  }
  return on;
}

/**
 * Whether a keyed argument's text (`-Zterminal-urls=v`, or `-Z` and `terminal-urls=v` as two arguments) is a `-Z terminal-urls`
 * rustc takes: out of the key, as its form says what it shows. Only for an argument named `-Z terminal-urls` (manifestKey.ts): one
 * argument `-Z terminal-urls=v` has the same text, and rustc refuses it (unknown option ` terminal-urls`); out of the key, it hit.
 */
export function urlsArg(text: string): boolean {
  return /^-Z ?terminal[-_]urls(=|$)/.test(text) && urlsValue(text.replace(/^-Z ?/, '')) !== undefined;
}
