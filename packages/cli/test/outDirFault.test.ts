import t from 'tap';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, BIN, printingCrate, printingCrateArgs, runOnPipes, Store } from './helpers.js';

// A hit whose outputs can't be written into the out-dir (a full disk under the
// target dir, most often: the store may be on another one) is the out-dir's
// fault, not the entry's. The call compiles instead, as it would uncached, and
// the entry stays for the next build, once there is room.

t.test("a hit that can't write into its out-dir builds uncached and keeps its entry", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const cwd = printingCrate('kept');
  const out = join(cwd, 'out');
  const call = () => runOnPipes(BIN, ['rustc', ...printingCrateArgs(cwd)], { cwd, env: store.env() });
  assertOk(t, await call(), 'a first call (a miss, stored)');

  // The dep-info's place taken by a directory with a file in it: neither the replay nor rustc can write it.
  rmSync(out, { recursive: true });
  mkdirSync(join(out, 'trial-t.d'), { recursive: true });
  writeFileSync(join(out, 'trial-t.d', 'in-the-way'), '');
  const blocked = await call();
  t.not(blocked.code, 0, "the call fails, as rustc fails there uncached");
  t.match(blocked.stderr, /SPLITCACHE_REPLAY/, 'with the line naming the out-dir');

  rmSync(out, { recursive: true });
  mkdirSync(out);
  assertOk(t, await call(), 'with the out-dir usable again, the call builds');
  t.same((await store.audit()).map((e) => e.outcome), ['miss', 'compile-error', 'hit'], 'and hits the entry stored before');
  t.equal((await store.stats()).errors.SPLITCACHE_REPLAY, 1, 'the failed replay counted once');
});
