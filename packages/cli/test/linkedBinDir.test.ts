import t from 'tap';
import { symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BIN, printingCrate, printingCrateArgs, run, Store, tempDir } from './helpers.js';

// bin/splitcache reached through a link to its directory (`ln -s …/splitcache/bin ~/tools`,
// RUSTC_WRAPPER=~/tools/splitcache): it finds the packages beside its real directory. It took
// `<link>/..` as text, as node resolves it, and every call through the node client (and every
// daemon start) failed with node's `Cannot find module` (a hunting helper's repro).
t.test('through a link to the bin directory: calls and commands work', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const linked = join(tempDir('linked-bin'), 'tools');
  symlinkSync(dirname(BIN), linked);
  const wrapper = join(linked, 'splitcache');
  const cwd = printingCrate('linked');
  for (const client of ['node', 'exec']) {
    const env = store.env(client === 'node' ? { SPLITCACHE_CLIENT: 'node' } : {});
    const r = await run(wrapper, ['rustc', ...printingCrateArgs(cwd)], { cwd, env });
    t.equal(r.code, 0, `a call through the ${client} client builds: ${r.stderr}`);
    t.notMatch(r.stderr, /Cannot find module|splitcache:/, 'and says nothing');
    t.equal((await run(join(cwd, 'out', 'trial-t'), [])).stdout, 'linked\n', 'its binary is right');
  }
  const s = await run(wrapper, ['stats', '--json'], { env: store.env() });
  t.equal(s.code, 0, `stats: ${s.stderr}`);
  t.same([JSON.parse(s.stdout).misses, JSON.parse(s.stdout).hits], [1, 1], 'one miss stored, then a hit');
});

// Run by name from its own directory (`cd bin && bash splitcache …`): $0 has no slash, and the
// packages were looked for under `splitcache/..` (a review's repro: `Cannot find module`).
t.test('run as `bash splitcache` from its directory: commands work', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const s = await run('bash', ['splitcache', 'stats', '--json'], { cwd: dirname(BIN), env: store.env() });
  t.equal(s.code, 0, `stats: ${s.stderr}`);
  t.notMatch(s.stderr, /Cannot find module/);
  t.equal(JSON.parse(s.stdout).misses, 0, 'an empty store');
  // And from elsewhere, where bash finds it on PATH (a review's find: it looked in the cwd).
  const elsewhere = await run('bash', ['splitcache', 'stats', '--json'], { cwd: tempDir('elsewhere'), env: { ...store.env(), PATH: `${dirname(BIN)}:${process.env.PATH}` } });
  t.equal(elsewhere.code, 0, `found on PATH: ${elsewhere.stderr}`);
});
