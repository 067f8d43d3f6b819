/**
 * What a plain rustc takes from a terminal, as arguments for the rustc a cached call runs,
 * whose stderr is a pipe (to the daemon, or to a file): colours, and the width below. cargo
 * gives rustc a pipe and asks for colours itself (`--json=diagnostic-rendered-ansi`); a
 * Makefile, a script or a developer calling rustc in a terminal does not, and through
 * splitcache their warnings and errors came without colours, miss or hit. Where the caller's
 * stderr is a terminal, the call has no `--json` and its errors are not JSON (which take
 * their colours from `--json`; beside `--json` rustc refuses `--color`, so a call it refuses
 * for `--json` alone was refused for an option it never gave), the rustc it runs gets
 * `--color=always` in place of the call's `--color=auto` or of none, when the environment
 * asks for colours as rustc's own `auto` reads it. Both are how diagnostics are shown, so not
 * keyed (manifestKey.ts, DISPLAY_ONLY): a result that printed nothing serves a terminal and a
 * pipe alike, one that printed something only its own form (diagnosticForm.ts). A call with
 * `--color` twice, which rustc refuses, is left as it is.
 *
 * rustc 1.95's `auto`, checked here under `script` one variable at a time: no colours under
 * NO_COLOR (not empty); colours under CLICOLOR_FORCE (not empty, `0` too); none under
 * CLICOLOR=0; else colours where TERM is set and is not `dumb`, or CLICOLOR or CI is set
 * (empty or not).
 *
 * And the width: with no `--diagnostic-width`, rustc lays out for the size of a terminal
 * (layoutTerminal, below: its descriptors', else its controlling terminal, so also under a
 * `cargo build | tee` in a terminal, whose rustc calls cargo gives pipes and no width), and for
 * 140 columns with none (CI) or one whose rows are 0. Such a call gets
 * `--diagnostic-width=<columns>` of that terminal (`columns`, terminalWidth.ts), so a result's
 * form names the width it was laid out for: before, one laid out for a 40-column terminal was
 * served at 200 columns, and to CI (a review's repro).
 */
export function terminalArgs(args: readonly string[], env: Record<string, string | undefined>, stderrTty: boolean | undefined, columns?: number): string[] {
  const sized = columns === undefined || givesOption(args, '--diagnostic-width') ? args : [...args, `--diagnostic-width=${columns}`];
  return coloured(sized, env, stderrTty);
}

/** The call's arguments in their terminal form, `[...lead, ...args]`, where terminalArgs changed its own (`own`); else undefined (LinkStep.plainArgs). */
export function plainArgsOf(lead: readonly string[], own: readonly string[], args: readonly string[]): string[] | undefined {
  return args.length === own.length && args.every((a, i) => a === own[i]) ? undefined : [...lead, ...args];
}

/** Whether the call gives option `name` (`name v` or `name=v`). */
export function givesOption(args: readonly string[], name: string): boolean {
  return args.some((a) => a === name || a.startsWith(`${name}=`));
}

/**
 * The controlling terminal of a process, from its /proc/<pid>/stat line: its device number
 * (`tty_nr`, 0 for none) and its session, which a memo of the terminal's size is kept for.
 */
export function controllingTerminal(stat: string): { tty: number; session: number } | undefined {
  const fields = statFields(stat);
  const tty = Number(fields?.[4]);
  const session = Number(fields?.[3]);
  return tty > 0 && Number.isInteger(tty) && Number.isInteger(session) ? { tty, session } : undefined;
}

/** The fields of a /proc stat line after the command's name (state first), which may hold spaces and parentheses. */
function statFields(stat: string): string[] | undefined {
  const end = stat.lastIndexOf(')');
  return end < 0 ? undefined : stat.slice(end + 2).split(' ');
}

/** /dev/tty (5:0): a process's controlling terminal, whichever it is. */
const DEV_TTY = (5 << 8) | 0;

/**
 * The terminal rustc lays out for with no `--diagnostic-width`: that of its stdout, stdin or
 * stderr, the first that is a terminal (termize asks them in that order), and its controlling
 * terminal only where none is (checked against rustc 1.95 under `script`: `setsid -w rustc …`,
 * whose descriptors are a 40-column terminal and which has no controlling terminal, lays out
 * for 40 columns). `devices`: the device numbers (st_rdev) of the caller's descriptors 1, 0
 * and 2 where each is a character device, else undefined. Before, only the controlling terminal
 * was taken: such a call was stored with no width in its form, laid out for its terminal, and
 * served to calls with none (and the other way round).
 */
export function layoutTerminal(stat: string, devices: readonly (number | undefined)[]): { tty: number; session: number } | undefined {
  const own = controllingTerminal(stat);
  const session = Number(statFields(stat)?.[3]);
  for (const d of devices) {
    if (d === undefined) continue;
    if (d === DEV_TTY) return own;
    if (isTerminalDevice(d) && Number.isInteger(session)) return { tty: d, session };
  }
  return own;
}

/** A pseudo-terminal (majors 136-143), a virtual console or serial line (major 4), or the system console (5:1). */
export function isTerminalDevice(dev: number): boolean {
  const { major, minor } = deviceParts(dev);
  return (major >= 136 && major <= 143) || (major === 4 && minor >= 1) || dev === DEV_CONSOLE;
}

/** /dev/console (5:1): a boot script's or a service's terminal (`TTYPath=`), most often 0 by 0 (rustc then takes 140). */
export const DEV_CONSOLE = (5 << 8) | 1;

/** A device number's major and minor, as Linux packs them (`st_rdev`, `tty_nr`). */
export function deviceParts(dev: number): { major: number; minor: number } {
  return { major: (dev >> 8) & 0xfff, minor: (dev & 0xff) | ((dev >> 12) & 0xfff00) };
}

function coloured(args: readonly string[], env: Record<string, string | undefined>, stderrTty: boolean | undefined): string[] {
  if (!stderrTty || jsonErrors(args) || givesOption(args, '--json') || !coloursOn(env)) return [...args];
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
