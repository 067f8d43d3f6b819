import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, BIN, printingCrate, printingCrateArgs, runOnPipes, Store, tempDir } from './helpers.js';

// A store copied while its daemon runs (`cp -a`, a CI cache saved and restored
// on the same machine) carries exec.port, naming the port and token of the
// original's daemon. The exec port is found through the store dir, but the
// caller names no store on the wire: the daemon must check which store the
// caller's environment names, or the original's daemon serves, counts and
// stores the calls of a build that uses the copy.

const clients = (file: string) =>
  existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { client?: string }).client ?? 'node') : [];

t.test("a build using a copy of a running daemon's store is served by the copy's own daemon, not the original's", async (t) => {
  const original = new Store();
  t.teardown(() => original.stop());
  await original.splitcache(['server', 'start']);
  const cwd = printingCrate('from a copied store');
  const call = (store: Store, extra: NodeJS.ProcessEnv = {}) => {
    rmSync(join(cwd, 'out'), { recursive: true, force: true });
    mkdirSync(join(cwd, 'out'));
    return runOnPipes(BIN, ['rustc', ...printingCrateArgs(cwd)], { cwd, env: store.env(extra) });
  };
  assertOk(t, await call(original), 'the call builds with the original store');

  const copy = new Store(join(tempDir('copies'), 'store'));
  t.equal(spawnSync('cp', ['-a', original.dir, copy.dir]).status, 0, 'the store is copied, exec.port and all, while its daemon runs');
  t.teardown(() => copy.stop());
  const log = join(tempDir('timing'), 'calls.jsonl');
  const onCopy = { SPLITCACHE_TIMING_LOG: log, SPLITCACHE_SESSION: 'on-the-copy' };
  assertOk(t, await call(copy, onCopy), 'the call builds with the copy');
  assertOk(t, await call(copy, onCopy), 'and again');
  t.same(clients(log), ['node', 'exec'], "the original's exec port declined the first; the copy's own daemon carried out the second");
  t.same(await original.stats().then((s) => [s.misses, s.hits]), [1, 0], "the original's daemon counted only its own call");
  t.same((await original.audit('on-the-copy')).length, 0, "and logged none of the copy's");
  t.same((await copy.audit('on-the-copy')).map((e) => e.outcome), ['hit', 'hit'], "the copy's audit log has both, hits on the entry it was copied with");

  // The same store by another path is the same store: its calls stay on the exec port.
  const link = join(tempDir('links'), 'store');
  symlinkSync(original.dir, link);
  const log2 = join(tempDir('timing'), 'calls.jsonl');
  assertOk(t, await call(original, { SPLITCACHE_DIR: `${link}/`, SPLITCACHE_TIMING_LOG: log2 }), 'a call naming the store through a symlink builds');
  t.same(clients(log2), ['exec'], 'and the daemon carried it out');
  t.same(await original.stats().then((s) => [s.misses, s.hits]), [1, 1], 'as a hit of its store');
});
