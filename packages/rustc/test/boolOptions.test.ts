import t from 'tap';
import { classify, parseInvocation } from '../src/index.js';

// A boolean -Z option spelled off is as its absence: `-Ztime-passes=no` passed through as if it
// reported its timings. Only the spellings rustc reads as off (1.95, nightly 1.97), and only for
// the options that take them: `-Zprofile-closures` and `-Zno-link` take no value at all.

const BASE = ['--crate-name', 'x', 'x.rs', '--crate-type', 'lib', '--emit=dep-info,link', '--out-dir', '/o'];
const reason = (...extra: string[]) => {
  const v = classify(parseInvocation([...BASE, ...extra]));
  return v.cacheable ? 'cacheable' : v.reason;
};
const BOOLS: [string, string][] = [
  ['time-passes', 'unstable-report:time-passes'],
  ['time-llvm-passes', 'unstable-report:time-llvm-passes'],
  ['llvm-time-trace', 'unstable-report:llvm-time-trace'],
  ['nll-facts', 'unstable-report:nll-facts'],
  ['dump-dep-graph', 'unstable-report:dump-dep-graph'],
  ['parse-crate-root-only', 'unstable-report:parse-crate-root-only'],
  ['link-only', 'already-split'],
];

t.test('each boolean -Z option that passes a call through does not, spelled off', async (t) => {
  for (const [name, passes] of BOOLS) {
    for (const off of ['n', 'no', 'off', 'false']) {
      t.equal(reason(`-Z${name}=${off}`), 'cacheable', `-Z${name}=${off}`);
      t.equal(reason('-Z', `${name.replaceAll('-', '_')}=${off}`), 'cacheable', `-Z ${name.replaceAll('-', '_')}=${off}`);
    }
    for (const on of [[`-Z${name}`], [`-Z${name}=y`], [`-Z${name}=yes`], ['-Z', `${name}=on`], [`-Z${name}=true`]]) t.equal(reason(...on), passes, on.join(' '));
    t.equal(reason(`-Z${name}=0`), passes, `-Z${name}=0: rustc refuses it, and says so when it runs plainly`);
    t.equal(reason(`-Z${name}`, `-Z${name}=no`), 'cacheable', 'the last one given wins: off');
    t.equal(reason(`-Z${name}=no`, `-Z${name}`), passes, 'the last one given wins: on');
  }
});

t.test('an option that takes no value passes through with any', async (t) => {
  for (const off of ['no', 'off', 'false', 'n']) {
    t.equal(reason(`-Zprofile-closures=${off}`), 'unstable-report:profile-closures', `-Zprofile-closures=${off}: rustc refuses it`);
    t.equal(reason(`-Zno-link=${off}`), 'already-split', `-Zno-link=${off}: rustc refuses it`);
  }
  t.equal(reason('-Zself-profile=no'), 'unstable-report:self-profile', '-Zself-profile=no profiles into a dir named `no`');
});
