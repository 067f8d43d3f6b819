import { spawn } from 'node:child_process';
import { DEV_CONSOLE, deviceParts, givesOption, terminalArgs } from './terminalArgs.js';
import { urlsResolved } from './terminalUrls.js';

/** How long a terminal's size is taken as known: a build's calls come in a burst, and a window is rarely resized during one. */
const KEPT_MS = 1000;

const known = new Map<string, { at: number; columns: Promise<number | 'unread' | undefined> }>();

/**
 * The call's arguments as a plain rustc in the caller's terminal would take them (terminalArgs.ts),
 * and `widthUnread`: the caller has a terminal whose size the daemon could not read (terminalWidth),
 * so the rustc it runs lays out for a width no form names (diagnosticForm.ts, `width=unread`).
 */
export async function argsForTerminal(
  args: readonly string[], env: Record<string, string | undefined>, stderrTty: boolean | undefined, term: { tty: number; session: number } | undefined,
): Promise<{ args: string[]; widthUnread: boolean }> {
  const width = await terminalWidth(term, args);
  // And a `-Z terminal-urls=auto` as the environment decides it (terminalUrls.ts).
  return { args: urlsResolved(terminalArgs(args, env, stderrTty, typeof width === 'number' ? width : undefined), env), widthUnread: width === 'unread' };
}

/**
 * The width rustc would lay out for under a terminal (terminalArgs.ts, layoutTerminal): its columns,
 * or undefined where it has none, or a size with 0 rows or columns (rustc then takes 140); or
 * `unread` where it has one whose size can't be read here: `stty` refused the device (another
 * user's terminal, a devpts the daemon can't see), took over a second, or the device is of a
 * kind not known here (devicePath: a USB serial adapter's). rustc still lays out for that
 * terminal, through its own descriptors; before, such a result was stored as laid out for none
 * (`width=none`) and served at 140 columns, and to other terminals (left by the last review). Asked of
 * `stty -F <device> size`: node has no ioctl of its own, and the daemon opening a terminal might
 * make it its own. Kept a second for a terminal and session (a pty's number is used again by the
 * next terminal opened): a warm build in a terminal asks once, not once a call. Not asked for a
 * call that gives its own width (cargo's, from its terminal).
 */
export function terminalWidth(term: { tty: number; session: number } | undefined, args: readonly string[]): Promise<number | 'unread' | undefined> {
  if (!term || givesOption(args, '--diagnostic-width')) return Promise.resolve(undefined);
  const path = devicePath(term.tty);
  if (!path) return Promise.resolve('unread');
  const key = `${term.tty}:${term.session}`;
  const now = Date.now();
  const kept = known.get(key);
  if (kept && now - kept.at < KEPT_MS) return kept.columns;
  if (known.size > 64) known.clear();
  const columns = askSize(path);
  known.set(key, { at: now, columns });
  return columns;
}

/** A terminal's device from its number (`tty_nr`): a pseudo-terminal (majors 136-143), a virtual console (major 4, minors 1-63), a serial line (minors 64-255) or the system console. */
export function devicePath(dev: number): string | undefined {
  if (dev === DEV_CONSOLE) return '/dev/console';
  const { major, minor } = deviceParts(dev);
  if (major >= 136 && major <= 143) return `/dev/pts/${(major - 136) * 256 + minor}`;
  if (major === 4 && minor >= 1 && minor < 64) return `/dev/tty${minor}`;
  if (major === 4 && minor >= 64 && minor < 256) return `/dev/ttyS${minor - 64}`;
  return undefined;
}

/** `stty size`'s columns; undefined for 0 rows or columns, `unread` where it failed or said something else. */
function askSize(path: string): Promise<number | 'unread' | undefined> {
  return new Promise((resolve) => {
    let text = '';
    const child = spawn('stty', ['-F', path, 'size'], { stdio: ['ignore', 'pipe', 'ignore'], timeout: 1000 });
    child.stdout?.setEncoding('latin1').on('data', (d: string) => (text += d));
    child.on('error', () => resolve('unread'));
    child.on('close', (code) => {
      const m = code === 0 ? /^(\d+) (\d+)\s*$/.exec(text) : null;
      if (!m) resolve('unread');
      else resolve(Number(m[1]) > 0 && Number(m[2]) > 0 ? Number(m[2]) : undefined);
    });
  });
}
