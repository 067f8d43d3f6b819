import { spawn } from 'node:child_process';
import { deviceParts, givesOption } from './terminalArgs.js';

/** How long a terminal's size is taken as known: a build's calls come in a burst, and a window is rarely resized during one. */
const KEPT_MS = 1000;

const known = new Map<string, { at: number; columns: Promise<number | undefined> }>();

/**
 * The width rustc would lay out for under a terminal (terminalArgs.ts, layoutTerminal): its columns,
 * or undefined where it has none, or a size with 0 rows or columns (rustc then takes 140). Asked of
 * `stty -F <device> size`: node has no ioctl of its own, and the daemon opening a terminal might
 * make it its own. Kept a second for a terminal and session (a pty's number is used again by the
 * next terminal opened): a warm build in a terminal asks once, not once a call. Not asked for a
 * call that gives its own width (cargo's, from its terminal).
 */
export function terminalWidth(term: { tty: number; session: number } | undefined, args: readonly string[]): Promise<number | undefined> {
  if (!term || givesOption(args, '--diagnostic-width')) return Promise.resolve(undefined);
  const path = devicePath(term.tty);
  if (!path) return Promise.resolve(undefined);
  const key = `${term.tty}:${term.session}`;
  const now = Date.now();
  const kept = known.get(key);
  if (kept && now - kept.at < KEPT_MS) return kept.columns;
  if (known.size > 64) known.clear();
  const columns = askSize(path);
  known.set(key, { at: now, columns });
  return columns;
}

/** A terminal's device from its number (`tty_nr`): a pseudo-terminal (majors 136-143) or a virtual console (major 4, minors 1-63). */
function devicePath(dev: number): string | undefined {
  const { major, minor } = deviceParts(dev);
  if (major >= 136 && major <= 143) return `/dev/pts/${(major - 136) * 256 + minor}`;
  if (major === 4 && minor >= 1 && minor < 64) return `/dev/tty${minor}`;
  return undefined;
}

function askSize(path: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    let text = '';
    const child = spawn('stty', ['-F', path, 'size'], { stdio: ['ignore', 'pipe', 'ignore'], timeout: 1000 });
    child.stdout?.setEncoding('latin1').on('data', (d: string) => (text += d));
    child.on('error', () => resolve(undefined));
    child.on('close', (code) => {
      const m = code === 0 ? /^(\d+) (\d+)\s*$/.exec(text) : null;
      resolve(m && Number(m[1]) > 0 && Number(m[2]) > 0 ? Number(m[2]) : undefined);
    });
  });
}
