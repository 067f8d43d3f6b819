import t from 'tap';
import { controllingTerminal, layoutTerminal, plainArgsOf, terminalArgs } from '../src/terminalArgs.js';

const ARGS = ['--crate-name', 'l', 'lib.rs', '--crate-type', 'lib'];
const TERM = { TERM: 'xterm-256color' };

t.test('colours for a caller whose stderr is a terminal, as a plain rustc would show them', async (t) => {
  t.same(terminalArgs(ARGS, TERM, true), [...ARGS, '--color=always'], 'a terminal: --color=always added');
  t.same(terminalArgs(ARGS, TERM, false), ARGS, 'a pipe (cargo\'s): nothing');
  t.same(terminalArgs(ARGS, TERM, undefined), ARGS, 'an older client, which does not say: nothing');
  t.same(terminalArgs([...ARGS, '--error-format=json'], TERM, true), [...ARGS, '--error-format=json'], 'JSON errors take their colours from --json');
  t.same(terminalArgs([...ARGS, '--error-format', 'json'], TERM, true), [...ARGS, '--error-format', 'json'], 'as a separate value too');
  t.same(terminalArgs([...ARGS, '--error-format=short'], TERM, true), [...ARGS, '--error-format=short', '--color=always'], 'short human errors are coloured');
  for (const json of [['--json=artifacts'], ['--json', 'artifacts'], ['--error-format=short', '--json=artifacts']]) {
    t.same(terminalArgs([...ARGS, ...json], TERM, true), [...ARGS, ...json], `${json.join(' ')}: nothing (rustc refuses --color beside --json; given it, its error named --color, not the call's own fault)`);
  }
});

t.test("a call's own --color: `auto` becomes `always`, the rest stand (rustc refuses the option twice)", async (t) => {
  t.same(terminalArgs(['--color=auto', ...ARGS], TERM, true), ['--color=always', ...ARGS], '--color=auto, in its place');
  t.same(terminalArgs(['--color', 'auto', ...ARGS], TERM, true), ['--color', 'always', ...ARGS], '--color auto');
  t.same(terminalArgs(['--color=never', ...ARGS], TERM, true), ['--color=never', ...ARGS], 'never stays');
  t.same(terminalArgs(['--color=always', ...ARGS], TERM, true), ['--color=always', ...ARGS], 'always stays');
  t.same(terminalArgs(['--color', 'never', ...ARGS], TERM, true), ['--color', 'never', ...ARGS], '--color never, as a separate value: stays');
  t.same(terminalArgs(['--color=auto', '--color=auto', ...ARGS], TERM, true), ['--color=auto', '--color=auto', ...ARGS], 'twice: left for rustc to refuse');
});

t.test("the environment, as rustc's `auto` reads it", async (t) => {
  const on = (env: Record<string, string | undefined>) => terminalArgs(ARGS, env, true).includes('--color=always');
  t.ok(on({ TERM: 'xterm' }), 'TERM=xterm');
  t.ok(on({ TERM: '' }), 'TERM set, empty');
  t.notOk(on({ TERM: 'dumb' }), 'TERM=dumb');
  t.notOk(on({}), 'TERM unset');
  t.notOk(on({ TERM: 'xterm', NO_COLOR: '1' }), 'NO_COLOR');
  t.ok(on({ TERM: 'xterm', NO_COLOR: '' }), 'NO_COLOR empty counts for nothing');
  t.notOk(on({ TERM: 'xterm', NO_COLOR: '1', CLICOLOR_FORCE: '1' }), 'NO_COLOR wins over CLICOLOR_FORCE');
  t.ok(on({ TERM: 'dumb', CLICOLOR_FORCE: '1' }), 'CLICOLOR_FORCE');
  t.ok(on({ TERM: 'dumb', CLICOLOR_FORCE: '0' }), 'CLICOLOR_FORCE=0 forces too');
  t.notOk(on({ TERM: 'dumb', CLICOLOR_FORCE: '' }), 'CLICOLOR_FORCE empty does not');
  t.notOk(on({ TERM: 'xterm', CLICOLOR: '0' }), 'CLICOLOR=0');
  t.ok(on({ CLICOLOR: '1' }), 'CLICOLOR set, TERM unset');
  t.ok(on({ CLICOLOR: '' }), 'CLICOLOR empty, TERM unset');
  t.ok(on({ CI: '' }), 'CI set, TERM unset');
});

t.test("the controlling terminal's width, where the call gives none", async (t) => {
  t.same(terminalArgs(ARGS, TERM, false, 80), [...ARGS, '--diagnostic-width=80'], 'a pipe under a terminal (cargo build | tee): its width');
  t.same(terminalArgs(ARGS, TERM, true, 80), [...ARGS, '--diagnostic-width=80', '--color=always'], 'with colours on the terminal itself');
  t.same(terminalArgs([...ARGS, '--diagnostic-width=100'], TERM, false, 80), [...ARGS, '--diagnostic-width=100'], "the call's own width stands (cargo's, from its terminal)");
  t.same(terminalArgs([...ARGS, '--diagnostic-width', '100'], TERM, false, 80), [...ARGS, '--diagnostic-width', '100'], 'as a separate value too');
  t.same(terminalArgs(ARGS, TERM, false, undefined), ARGS, 'no terminal (CI), or one with 0 rows: none, and rustc takes 140');
});

t.test('a controlling terminal from a /proc stat line', async (t) => {
  t.same(controllingTerminal('4242 (bash) S 4200 4242 4100 34817 4242 4194304 0 0'), { tty: 34817, session: 4100 }, 'tty_nr and the session');
  t.same(controllingTerminal('4242 (a) b) c) S 4200 4242 4100 34818 4242 0'), { tty: 34818, session: 4100 }, 'a name with parentheses and spaces');
  t.equal(controllingTerminal('4242 (node) S 1 4242 4242 0 -1 0'), undefined, 'tty_nr 0: none');
  t.equal(controllingTerminal('garbage'), undefined, 'not a stat line');
});

t.test("the terminal rustc lays out for: its descriptors' first, then the controlling one", async (t) => {
  const stat = '4242 (rustc) S 4200 4242 4100 34817 4242 0';
  const noCtty = '4242 (rustc) S 4200 4242 4242 0 -1 0';
  const pts5 = (136 << 8) | 5;
  t.same(layoutTerminal(noCtty, [undefined, pts5, undefined]), { tty: pts5, session: 4242 }, 'stdin on a terminal, no controlling one (setsid -w rustc): that terminal');
  t.same(layoutTerminal(stat, [pts5, undefined, undefined]), { tty: pts5, session: 4100 }, "stdout's terminal before the controlling one");
  t.same(layoutTerminal(stat, [(1 << 8) | 3, undefined, undefined]), { tty: 34817, session: 4100 }, '/dev/null is no terminal: the controlling one');
  t.same(layoutTerminal(stat, [(5 << 8) | 0, undefined, undefined]), { tty: 34817, session: 4100 }, '/dev/tty: the controlling one');
  t.same(layoutTerminal(stat, [(5 << 8) | 0, pts5, undefined]), { tty: 34817, session: 4100 }, "stdout on /dev/tty: the controlling one, not stdin's terminal after it");
  t.equal(layoutTerminal(noCtty, [undefined, undefined, undefined]), undefined, 'none at all');
  t.same(layoutTerminal(noCtty, [(5 << 8) | 1, undefined, undefined]), { tty: (5 << 8) | 1, session: 4242 }, '/dev/console (a service\'s TTYPath=): that terminal');
});

t.test("plainArgsOf: the call's arguments in their terminal form, for the plain rustc of a failed link, where they differ", async (t) => {
  const own = ['--crate-name', 'a', 'main.rs'];
  t.equal(plainArgsOf([], own, [...own]), undefined, 'unchanged: none (the call runs its own)');
  t.same(plainArgsOf([], own, [...own, '--color=always']), [...own, '--color=always'], 'with colours');
  t.same(plainArgsOf(['/usr/bin/rustc'], own, [...own, '--diagnostic-width=80']), ['/usr/bin/rustc', ...own, '--diagnostic-width=80'], "a driver's lead first");
  t.same(plainArgsOf([], [...own, '--color=auto'], [...own, '--color=always']), [...own, '--color=always'], 'auto made always');
});
