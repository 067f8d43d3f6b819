import t from 'tap';
import { classify, parseInvocation, splitPlan } from '../src/index.js';
import { tempsDirOf, withoutTempsDir } from '../src/tempsDir.js';

const BASE = ['--crate-name', 'app', 'src/main.rs', '--crate-type', 'bin', '--emit=dep-info,link', '-C', 'debuginfo=2', '--out-dir', '/w/target/debug/deps'];

t.test('each spelling of -Z temps-dir is left out, and nothing else', async (t) => {
  for (const spelt of [['-Ztemps-dir=/tmp/x'], ['-Z', 'temps-dir=/tmp/x'], ['-Ztemps_dir=rel'], ['-Z', 'temps_dir=rel']]) {
    t.same(withoutTempsDir([...BASE, ...spelt, '-Zshare-generics=y']), [...BASE, '-Zshare-generics=y'], spelt.join(' '));
  }
  t.same(withoutTempsDir(['-Z', 'temps-dirx=a', '-Ztemps-dir', '-C', 'temps-dir=a']), ['-Z', 'temps-dirx=a', '-Ztemps-dir', '-C', 'temps-dir=a'], 'not another option, nor one without its value');
});

t.test("the -Zno-link half runs without it, the link half keeps it", async (t) => {
  const inv = parseInvocation([...BASE, '-Ztemps-dir=/tmp/x']);
  t.same(classify(inv), { cacheable: true, mode: 'split', crateType: 'bin' }, 'the call is cached');
  const plan = splitPlan(inv, 'legacy');
  t.notOk(plan.noLinkArgs.includes('-Ztemps-dir=/tmp/x'), '-Zno-link leaves its objects in the out dir');
  t.ok(plan.linkOnlyArgs.includes('-Ztemps-dir=/tmp/x'), '-Zlink-only is given it as called');
});

t.test('where the debug info is split, the call passes through', async (t) => {
  for (const sd of ['packed', 'unpacked']) {
    t.same(classify(parseInvocation([...BASE, '-C', `split-debuginfo=${sd}`, '-Ztemps-dir=/tmp/x'])), { cacheable: false, reason: 'unstable-output:temps-dir' }, sd);
    t.equal(classify(parseInvocation([...BASE, '-C', `split-debuginfo=${sd}`])).cacheable, true, `${sd} without -Ztemps-dir is cached`);
  }
  t.equal(classify(parseInvocation([...BASE, '-C', 'split-debuginfo=off', '-Ztemps-dir=/tmp/x'])).cacheable, true, 'off: cached');
  t.equal(classify(parseInvocation([...BASE.filter((a) => a !== 'debuginfo=2' && a !== '-C'), '-C', 'split-debuginfo=unpacked', '-Ztemps-dir=/tmp/x'])).cacheable, true, 'no debug info: cached');
});

t.test('the dir the daemon makes is the last one given, as rustc reads it', async (t) => {
  t.equal(tempsDirOf(parseInvocation([...BASE, '-Ztemps-dir=first', '-Z', 'temps_dir=last_one'])), 'last_one', 'the last, its value as given');
  t.equal(tempsDirOf(parseInvocation(BASE)), undefined, 'none without one');
});
