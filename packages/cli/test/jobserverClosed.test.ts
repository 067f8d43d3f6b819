import t from 'tap';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { BIN, printingCrate, printingCrateArgs, run, Store } from './helpers.js';

// A MAKEFLAGS whose jobserver descriptors are closed in the call (make ran cargo from a rule
// without `+`, and closed them; a tool that cleans up descriptors): plain rustc warns that it
// can't reach the jobserver, and builds. The node client must hand rustc only descriptors that are
// open (jobserver.ts): handed a closed one, the spawn itself fails, and the build with it.

t.test('jobserver descriptors named but closed: the node client runs rustc without them, and the call builds', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const cwd = printingCrate('closed jobserver');
  const r = await run(BIN, ['rustc', ...printingCrateArgs(cwd)], { cwd, env: store.env({ MAKEFLAGS: '-j --jobserver-auth=50,51', SPLITCACHE_CLIENT: 'node' }) });
  t.equal(r.code, 0, `the call succeeds (${r.stderr.slice(0, 300)})`);
  t.equal(spawnSync(join(cwd, 'out', 'trial-t'), { encoding: 'utf8' }).stdout, 'closed jobserver\n', 'and builds the right binary');
});
