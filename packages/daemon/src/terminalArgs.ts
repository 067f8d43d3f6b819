/**
 * What a plain rustc takes from a terminal it writes to, as arguments for the rustc a cached
 * call runs, whose stderr is a pipe (to the daemon, or to a file): colours. cargo gives rustc a
 * pipe and asks for colours itself (`--json=diagnostic-rendered-ansi`); a Makefile, a script
 * or a developer calling rustc in a terminal does not, and through splitcache their warnings
 * and errors came without colours, miss or hit. Where the caller's stderr is a terminal and
 * the call's errors are not JSON (which takes its colours from `--json`) and it has no `--json` (beside
 * which rustc refuses `--color`: given one, a call that rustc refuses for `--json` alone was refused
 * for `--color`, an option it never gave), the rustc it runs
 * gets `--color=always` in place of the call's `--color=auto` or of none, when the environment
 * asks for colours as rustc's own `auto` reads it. That is how diagnostics are shown, so not keyed (manifestKey.ts,
 * DISPLAY_ONLY): a result that printed nothing serves a terminal and a pipe alike, one that
 * printed something only its own form (diagnosticForm.ts). A call with `--color` twice, which
 * rustc refuses, is left as it is.
 *
 * rustc 1.95's `auto`, checked here under `script` one variable at a time: no colours under
 * NO_COLOR (not empty); colours under CLICOLOR_FORCE (not empty, `0` too); none under
 * CLICOLOR=0; else colours where TERM is set and is not `dumb`, or CLICOLOR or CI is set
 * (empty or not). The terminal's width is not taken: rustc lays out for 140 columns in a
 * terminal of any width unless given `--diagnostic-width` (checked at 40, 100 and 300).
 */
export function terminalArgs(args: readonly string[], env: Record<string, string | undefined>, stderrTty: boolean | undefined): string[] {
  if (!stderrTty || jsonErrors(args) || args.some((a) => a === '--json' || a.startsWith('--json=')) || !coloursOn(env)) return [...args];
  const at = args.flatMap((a, i) => (a === '--color' || a.startsWith('--color=') ? [i] : []));
  if (at.length === 0) return [...args, '--color=always'];
  const i = at[0]!;
  if (at.length > 1) return [...args];
  if (args[i] === '--color=auto') return args.map((a, j) => (j === i ? '--color=always' : a));
  if (args[i] === '--color' && args[i + 1] === 'auto') return args.map((a, j) => (j === i + 1 ? 'always' : a));
  return [...args];
}

function coloursOn(env: Record<string, string | undefined>): boolean {
  if (env.NO_COLOR) return false;
  if (env.CLICOLOR_FORCE) return true;
  if (env.CLICOLOR === '0') return false;
  return (env.TERM !== undefined && env.TERM !== 'dumb') || env.CLICOLOR !== undefined || env.CI !== undefined;
}

function jsonErrors(args: readonly string[]): boolean {
  return args.some((a, i) => a === '--error-format=json' || (a === '--error-format' && args[i + 1] === 'json'));
}
