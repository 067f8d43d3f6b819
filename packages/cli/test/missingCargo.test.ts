import t from 'tap';
import { join } from 'node:path';
import { BIN, run, Store, tempDir } from './helpers.js';

// `splitcache cargo` (or `splitcache /path/to/cargo`) with no such cargo said node's words,
// `splitcache: cannot run cargo: spawn /x/cargo ENOENT`: now one line as a rustc's is said.

t.test('splitcache cargo with a cargo that is not there: one line naming it, exit 127', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const cargo = join(tempDir('no-cargo'), 'cargo');
  const named = await run(BIN, [cargo, 'build'], { env: store.env() });
  t.equal(named.code, 127, 'a cargo by its path: exit 127');
  t.equal(named.stderr, `splitcache: cannot run ${cargo}: no such file\n`, 'one line naming the path');
  const onPath = await run(BIN, ['cargo', 'build'], { env: store.env({ PATH: `${tempDir('empty-path')}:/usr/bin:/bin` }) });
  t.equal(onPath.code, 127, 'no cargo on PATH: exit 127');
  t.equal(onPath.stderr, 'splitcache: cannot run cargo: no such program on PATH\n', 'one line saying so');
});
