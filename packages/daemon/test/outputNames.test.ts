import t from 'tap';
import { checkOutputName } from '../src/outputNames.js';

// An entry (a remote's, a damaged record's) names each output by its file name in the out dir;
// replay joins it to the out dir. A name that leaves it is refused as hostile, whatever its form.
t.test('an output name that would leave the out dir is refused', async (t) => {
  for (const name of ['', '.', '..', '../x', 'a/b', '/etc/passwd', 'a\\b', 'a\0b', 7, undefined]) {
    t.throws(() => checkOutputName(name), { code: 'SPLITCACHE_MANIFEST_HOSTILE' }, JSON.stringify(name) ?? String(name));
  }
  t.equal(checkOutputName('libfoo-1a2b.rlib'), 'libfoo-1a2b.rlib', 'a plain file name passes');
  t.equal(checkOutputName('..foo.o'), '..foo.o', 'and one that only starts with dots');
});
