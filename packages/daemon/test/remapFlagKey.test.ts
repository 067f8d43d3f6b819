import t from 'tap';
import { covers, remapFroms } from '../src/remapFlagKey.js';

// Key item 18 asks whether a user's --remap-path-prefix covers the working directory as the kernel
// has it; rustc matches a FROM by whole components.

t.test('the FROMs of a call, in both spellings, split at the last =', async (t) => {
  t.same(remapFroms(['--remap-path-prefix=/ci/ws=/build', '-C', 'x', '--remap-path-prefix', '/a=b=/c', '--remap-path-prefix']), ['/ci/ws', '/a=b']);
});

t.test('covers compares whole components, `//` and `/./` as one separator', async (t) => {
  t.ok(covers('/ci/ws', '/ci/ws') && covers('/ci/ws', '/ci/ws/src') && covers('/ci/ws/', '/ci/ws/src'));
  t.ok(covers('/ci//ws', '/ci/ws/src') && covers('/ci/./ws', '/ci/ws'), 'a FROM spelt with // or /./ (a review helper\'s repro)');
  t.notOk(covers('/ci/w', '/ci/ws'), 'a FROM that ends inside a component');
  t.notOk(covers('/ci/ws/src', '/ci/ws'), 'a longer FROM');
  t.notOk(covers('ci/ws', '/ci/ws'), 'a relative FROM does not cover an absolute path');
  t.ok(covers('/', '/ci/ws'), 'the root covers every absolute path');
});
