import t from 'tap';
import { PrefixTable } from '@splitcache/paths';
import { envDepValue } from '../src/envDepValue.js';

const tableFor = (ws: string) => new PrefixTable([{ name: 'cwd', path: ws }, { name: 'target', path: `${ws}/target` }]);
const OUT = '/build/target/debug/build/gen-1/out';

t.test('a path read through env!() is recorded exactly, so another checkout does not match', async (t) => {
  const here = tableFor('/build');
  const there = tableFor('/elsewhere/ws');
  for (const name of ['CARGO_MANIFEST_DIR', 'CARGO_BIN_EXE_app', 'CARGO_TARGET_TMPDIR', 'MY_BUILD_RS_PATH']) {
    const recorded = envDepValue(name, '/build/app', [], here);
    t.equal(recorded, '/build/app', `${name}: as it was`);
    t.not(envDepValue(name, '/elsewhere/ws/app', [], there), recorded, `${name}: the same place in another checkout differs`);
  }
  t.equal(envDepValue('CARGO_PKG_VERSION', '1.2.3', [], here), '1.2.3', 'a value that is no path is itself');
  t.equal(envDepValue('OPTIONAL', undefined, [], here), null, 'an unset variable is null');
});

t.test('OUT_DIR is normalised only when the crate includes a file from it', async (t) => {
  const here = tableFor('/build');
  const there = tableFor('/elsewhere/ws');
  const included = ['@@sc:cwd@@/src/lib.rs', `${here.normalise(OUT)}/gen.rs`];
  const recorded = envDepValue('OUT_DIR', OUT, included, here);
  t.equal(recorded, here.normaliseText(OUT), 'include!() from OUT_DIR: normalised');
  t.equal(envDepValue('OUT_DIR', '/elsewhere/ws/target/debug/build/gen-1/out', included, there), recorded, 'and the same in another checkout');
  t.equal(envDepValue('OUT_DIR', OUT, ['@@sc:cwd@@/src/lib.rs'], here), OUT, 'read for anything else: exactly');
  t.equal(envDepValue('OUT_DIR', OUT, [`${here.normalise(OUT)}-other/gen.rs`], here), OUT, 'a sibling dir that shares its prefix is not under it');
});

t.test('CLIPPY_CONF_DIR is normalised: it steers lints, and its clippy.toml is keyed by digest', async (t) => {
  const here = tableFor('/build');
  t.equal(envDepValue('CLIPPY_CONF_DIR', '/build/conf', [], here), envDepValue('CLIPPY_CONF_DIR', '/elsewhere/ws/conf', [], tableFor('/elsewhere/ws')));
});
