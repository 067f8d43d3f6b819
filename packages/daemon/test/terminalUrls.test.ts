import t from 'tap';
import { parseInvocation } from '@splitcache/rustc';
import { terminalUrlsAuto } from '../src/terminalUrls.js';

// Key item 20, as rustc decides it: with `-Z terminal-urls=auto`, links only where COLORTERM is
// `truecolor` and TERM is `xterm-256color`, both (a mutation audit's: `||`, or TERM alone, let a
// terminal with both hit a result stored without links where only TERM was set).
const base = ['--crate-name', 'x', 'src/lib.rs', '--crate-type', 'lib'];
const urls = (z: string[], env: Record<string, string>) => terminalUrlsAuto(parseInvocation([...base, ...z.flatMap((v) => ['-Z', v])]), env);
const both = { COLORTERM: 'truecolor', TERM: 'xterm-256color' };

t.test('auto: on only where both variables say so', async (t) => {
  t.equal(urls(['terminal-urls=auto'], both), 'on');
  t.equal(urls(['terminal-urls=auto'], { TERM: 'xterm-256color' }), 'off', 'TERM alone (most terminals without COLORTERM)');
  t.equal(urls(['terminal-urls=auto'], { COLORTERM: 'truecolor', TERM: 'xterm' }), 'off', 'COLORTERM alone');
  t.equal(urls(['terminal-urls=auto'], {}), 'off', 'neither');
  t.equal(urls(['terminal_urls=auto'], both), 'on', 'spelt with `_`, as rustc takes it');
});

t.test('the last -Z terminal-urls counts, and only auto adds the item', async (t) => {
  t.equal(urls(['terminal-urls=no', 'terminal-urls=auto'], both), 'on', 'auto after no');
  t.equal(urls(['terminal-urls=auto', 'terminal-urls=no'], both), undefined, 'no after auto: the flag\'s text says it');
  t.equal(urls([], both), undefined, 'no flag: no item (every other call keeps its key)');
  t.equal(urls(['terminal-urls=yes'], both), undefined, 'yes: its text says it');
  t.equal(urls(['terminal-urls'], both), undefined, 'bare (yes)');
});
