import t from 'tap';
import { parseInvocation } from '@splitcache/rustc';
import { diagnosticForm } from '../src/diagnosticForm.js';
import { keyedArgs } from '../src/manifestKey.js';
import { linksErrorCodes, urlsArg, urlsResolved } from '../src/terminalUrls.js';

// `-Z terminal-urls`, as rustc reads it (terminalUrls.ts): `auto` links only where COLORTERM is
// `truecolor` and TERM is `xterm-256color`, both (a mutation audit's: `||`, or TERM alone, let a
// terminal with both hit a result stored without links where only TERM was set); the last one
// counts; it shows only in coloured diagnostics, so it is in a result's form, not in the key.
const base = ['--crate-name', 'x', 'src/lib.rs', '--crate-type', 'lib'];
const both = { COLORTERM: 'truecolor', TERM: 'xterm-256color' };
const links = (z: string[], env: Record<string, string> = {}) => linksErrorCodes(parseInvocation(urlsResolved([...base, ...z], env)));

t.test('auto: on only where both variables say so', async (t) => {
  t.equal(links(['-Zterminal-urls=auto'], both), true);
  t.equal(links(['-Zterminal-urls=auto'], { TERM: 'xterm-256color' }), false, 'TERM alone (most terminals without COLORTERM)');
  t.equal(links(['-Zterminal-urls=auto'], { COLORTERM: 'truecolor', TERM: 'xterm' }), false, 'COLORTERM alone');
  t.equal(links(['-Zterminal-urls=auto'], {}), false, 'neither');
  t.same(urlsResolved(['-Z', 'terminal_urls=auto', '-Zterminal-urls=auto'], both), ['-Z', 'terminal_urls=yes', '-Zterminal-urls=yes'], 'either spelling, either form');
  t.same(urlsResolved(['--cfg', 'terminal-urls=auto'], both), ['--cfg', 'terminal-urls=auto'], 'not the value of another option');
});

t.test('the values rustc takes, and the last one counts', async (t) => {
  for (const on of ['-Zterminal-urls', '-Zterminal-urls=', '-Zterminal-urls=yes', '-Zterminal-urls=y', '-Zterminal-urls=on']) t.equal(links([on]), true, `${on}: on`);
  for (const off of ['-Zterminal-urls=no', '-Zterminal-urls=n', '-Zterminal-urls=off']) t.equal(links([off], both), false, `${off}: off`);
  t.equal(links([]), false, 'none: off');
  t.equal(links(['-Zterminal-urls=true']), false, 'true is no value of its (rustc refuses it)');
  t.equal(urlsArg('-Zterminal-urls=YES'), false, 'nor YES: kept in the key, as rustc refuses it');
  t.equal(links(['-Zterminal-urls=no', '-Zterminal-urls=auto'], both), true, 'auto after no');
  t.equal(links(['-Zterminal-urls=yes', '-Zterminal-urls=auto'], {}), false, 'auto after yes');
  t.equal(links(['-Zterminal-urls=auto', '-Zterminal-urls=no'], both), false, 'no after auto');
});

t.test('out of the key where rustc takes it; in the form where it shows', async (t) => {
  const keyed = (z: string[]) => keyedArgs(parseInvocation([...base, ...z])).map(([, text]) => text);
  t.same(keyed(['-Zterminal-urls=yes', '-Z', 'terminal_urls=no', '-Zterminal-urls']), keyed([]), 'every spelling of a value it takes');
  t.same(keyed(['-Zterminal-urls=true']), [...keyed([]), '-Zterminal-urls=true'], 'not one rustc refuses (the call fails as without it, never to hit)');
  t.equal(urlsArg('-Zterminal-urls-x=yes'), false, 'nor another option');
  t.same(keyed(['-Z terminal-urls=yes']), [...keyed([]), '-Z terminal-urls=yes'], 'nor one argument `-Z terminal-urls=yes`, which rustc refuses (unknown ` terminal-urls`): out of the key, it hit');
  const form = (args: string[]) => diagnosticForm(parseInvocation([...base, ...args]));
  t.equal(form(['-Zterminal-urls=yes', '--color=always']), 'color=always,terminal-urls,width=none', 'coloured text');
  t.equal(form(['-Zterminal-urls=yes', '--error-format=json', '--json=diagnostic-rendered-ansi']), 'terminal-urls,width=none', "JSON's coloured rendering");
  t.equal(form(['-Zterminal-urls=yes', '--color=never']), form([]), 'uncoloured text: as without it');
  t.equal(form(['-Zterminal-urls=yes', '--color=always', '--error-format=json']), form([]), 'plain JSON: as without it');
  t.equal(form(['-Zterminal-urls=no', '--color=always']), form(['--color=always']), 'off: as without it');
});
