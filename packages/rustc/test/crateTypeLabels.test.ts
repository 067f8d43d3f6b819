import t from 'tap';
import { classify, driverVerdict, isCrateTypeLabel, parseInvocation, CRATE_TYPE_LABELS } from '../src/index.js';

// `explain --type` refuses a label no call is recorded under: every label classify and
// driverVerdict make must pass isCrateTypeLabel, or explain would refuse what audit shows.

const CALL = ['src/lib.rs', '--emit=dep-info,link', '--out-dir', '/w/target/debug/deps'];
const CALLS: string[][] = [
  ['--crate-name', 'fx', '--crate-type', 'lib'],
  ['--crate-name', 'fx', '--crate-type', 'rlib'],
  ['--crate-name', 'fx', '--crate-type', 'staticlib'],
  ['--crate-name', 'fx', '--crate-type', 'bin'],
  ['--crate-name', 'fx', '--crate-type', 'proc-macro'],
  ['--crate-name', 'fx', '--crate-type', 'dylib'],
  ['--crate-name', 'fx', '--crate-type', 'cdylib'],
  ['--crate-name', 'fx', '--crate-type', 'lib', '--crate-type', 'cdylib'],
  ['--crate-name', 'fx', '--crate-type', 'rlib,staticlib'],
  ['--crate-name', 'fx', '--test'],
  ['--crate-name', 'fx'],
  ['--crate-name', 'build_script_build', '--crate-type', 'bin'],
];

t.test('every crate type a cached call is recorded under is a known label, through clippy-driver too', async (t) => {
  const seen = new Set<string>();
  for (const args of CALLS) {
    const verdict = classify(parseInvocation([...args, ...CALL]));
    if (!t.ok(verdict.cacheable, `${args.join(' ')} is cached`) || !verdict.cacheable) continue;
    for (const v of [verdict, driverVerdict('clippy-driver', verdict)]) {
      if (!v.cacheable) continue;
      seen.add(v.crateType);
      t.ok(isCrateTypeLabel(v.crateType), `${v.crateType} is known`);
    }
  }
  for (const label of CRATE_TYPE_LABELS) t.ok(seen.has(label), `${label} is made by some call`);
});

t.test('anything else is no crate type', async (t) => {
  for (const label of ['bogus', '', 'lib+', '+lib', 'lib++bin', 'clippy:', 'fmt:lib', 'clippy:clippy:lib', 'LIB', 'build_script', 'test+lib']) {
    t.notOk(isCrateTypeLabel(label), `'${label}' is none`);
  }
});
