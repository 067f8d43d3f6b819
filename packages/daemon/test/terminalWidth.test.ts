import t from 'tap';
import { accessSync, constants } from 'node:fs';
import { devicePath, terminalWidth } from '../src/terminalWidth.js';

const dev = (major: number, minor: number) => (major << 8) | (minor & 0xff) | ((minor & ~0xff) << 12);

t.test("a terminal's device from its number, as Linux numbers them", async (t) => {
  t.equal(devicePath(dev(136, 5)), '/dev/pts/5', 'a pseudo-terminal');
  t.equal(devicePath(dev(137, 2)), '/dev/pts/258', 'past the first 256');
  t.equal(devicePath(dev(136, 300)), '/dev/pts/300', 'a minor past 255 (its high bits elsewhere)');
  t.equal(devicePath(dev(4, 3)), '/dev/tty3', 'a virtual console');
  t.equal(devicePath(dev(4, 64)), '/dev/ttyS0', 'a serial line');
  t.equal(devicePath(dev(5, 1)), '/dev/console', 'the system console');
  t.equal(devicePath(dev(188, 0)), undefined, 'a USB serial adapter: not known here');
});

t.test("a terminal whose size can't be read is `unread`, not none", async (t) => {
  t.equal(await terminalWidth({ tty: dev(188, 0), session: 1 }, []), 'unread', 'a device of a kind not known here: rustc still lays out for it');
  t.equal(await terminalWidth({ tty: dev(136, 4000), session: 1 }, []), 'unread', 'a pseudo-terminal stty cannot open');
  t.equal(await terminalWidth({ tty: dev(136, 4000), session: 1 }, ['--diagnostic-width=90']), undefined, 'not asked for a call with a width of its own');
  t.equal(await terminalWidth(undefined, []), undefined, 'no terminal: none');
});

let consoleReadable = true;
try {
  accessSync('/dev/console', constants.R_OK);
} catch {
  consoleReadable = false;
}
t.test('a terminal of 0 rows and columns (the console of a machine like this one) gives none: rustc takes 140', { skip: !consoleReadable && '/dev/console is not readable here' }, async (t) => {
  const width = await terminalWidth({ tty: dev(5, 1), session: 2 }, []);
  t.ok(width === undefined || typeof width === 'number', `a size read (${width})`);
});
