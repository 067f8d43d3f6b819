import t from 'tap';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, ON_PIPES, printingCrate, printingCrateArgs, realRustc, run, Store, tempDir } from './helpers.js';

// A build stopped with Ctrl-C can leave its link step running (its linker outlives the signal),
// and a build started at once writes the same crate's objects at the same paths. rustc's link
// step deletes the objects it linked once its linker is done: it deleted the new build's, whose
// link then failed (`cannot open …rcgu.o`). Each split link step now links objects under names
// of its own call's (daemon/src/privateObjects.ts). The older link step is played here by the
// linker itself, which deletes the objects at their plain names (`<stem>.<cgu>.rcgu.o`, as an
// older build's link step, or a plain rustc's, names them) before it links.

/** printingCrate(text), linked through a `cc` that, for a split link and SC_ORPHAN set, does `whenSplit` (sh) first; `call(env)` runs it as cargo does. */
async function withLinker(store: Store, text: string, whenSplit: string, extra: string[] = []) {
  const linker = join(tempDir('linker'), 'cc');
  writeFileSync(linker, `#!/bin/sh\nif [ -n "$RUSTC_BOOTSTRAP" ] && [ -n "$SC_ORPHAN" ]; then ${whenSplit}; fi\nexec cc "$@"\n`, { mode: 0o755 });
  const crate = printingCrate(text);
  const args = [await realRustc(), ...printingCrateArgs(crate), '-C', `linker=${linker}`, '-C', 'codegen-units=4', ...extra];
  const call = (env: NodeJS.ProcessEnv = {}) => run('/bin/bash', ['-c', ON_PIPES, '_', BIN, ...args], { cwd: crate, env: store.env(env) });
  return { crate, out: join(crate, 'out'), call };
}

/** What an older link step of the crate deletes once its linker is done: the objects at their plain names. */
const DELETE_PLAIN_OBJECTS = 'rm -f "$SC_ORPHAN"/trial-t.*.rcgu.o';

for (const client of ['exec port', 'node']) {
  const clientEnv = client === 'node' ? { SPLITCACHE_CLIENT: 'node' } : {};

  t.test(`${client}: a hit links its own objects, which another link step deleting the crate's objects at their plain names leaves alone`, async (t) => {
    const store = new Store();
    t.teardown(() => store.stop());
    const { out, call } = await withLinker(store, 'own objects', DELETE_PLAIN_OBJECTS);
    t.equal((await call(clientEnv)).code, 0, 'the cold call stores the crate');
    const hit = await call({ ...clientEnv, SC_ORPHAN: out, SPLITCACHE_SESSION: 'hit' });
    t.equal(hit.code, 0, 'the hit succeeds');
    t.notMatch(hit.stderr, /SPLITCACHE_LINK_FAILED/, 'its link step is not taken for a failed split link');
    t.same((await store.calls('hit')).map((e) => e.outcome), ['hit'], 'and it is a hit, not compiled again plainly');
    t.equal((await store.stats()).errors.SPLITCACHE_LINK_FAILED ?? 0, 0, 'no failed link counted');
    await call({ ...clientEnv, SPLITCACHE_SESSION: 'again' });
    t.same((await store.calls('again')).map((e) => e.outcome), ['hit'], 'the next call hits: the entry was kept');
    t.equal((await run(join(out, 'trial-t'), [])).stdout, 'own objects\n', 'its binary runs');
    t.same(readdirSync(out).sort(), ['trial-t', 'trial-t.d'], 'the out dir holds what a plain build leaves: no object, under any name');
  });

  t.test(`${client}: a miss links its own objects too`, async (t) => {
    const store = new Store();
    t.teardown(() => store.stop());
    const { out, call } = await withLinker(store, 'own miss objects', DELETE_PLAIN_OBJECTS);
    const miss = await call({ ...clientEnv, SC_ORPHAN: out, SPLITCACHE_SESSION: 'miss' });
    t.equal(miss.code, 0, 'the miss succeeds');
    t.notMatch(miss.stderr, /SPLITCACHE_LINK_FAILED/, 'its link step is not taken for a failed split link');
    await call({ ...clientEnv, SPLITCACHE_SESSION: 'after' });
    t.same((await store.calls('after')).map((e) => e.outcome), ['hit'], 'the next call hits: the entry was kept');
    t.equal((await run(join(out, 'trial-t'), [])).stdout, 'own miss objects\n', 'its binary runs');
    t.same(readdirSync(out).sort(), ['trial-t', 'trial-t.d'], 'no object is left in the out dir');
  });

  t.test(`${client}: a split link that fails leaves none of its own objects behind`, async (t) => {
    const store = new Store();
    t.teardown(() => store.stop());
    const { out, call } = await withLinker(store, 'left nothing', 'exit 1');
    t.equal((await call(clientEnv)).code, 0, 'the cold call stores the crate');
    for (const session of ['hit', 'miss']) {
      const failed = await call({ ...clientEnv, SC_ORPHAN: '1', SPLITCACHE_SESSION: session });
      t.equal(failed.code, 0, `${session}: the call whose split link fails is compiled plainly`);
      t.same(readdirSync(out).sort(), ['trial-t', 'trial-t.d'], `${session}: no object is left in the out dir`);
    }
  });
}

t.test('exec port: with split-debuginfo=packed, a hit packs .dwo files of its own, which another link step deleting them at their plain names leaves alone', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const packed = ['-C', 'debuginfo=2', '-C', 'split-debuginfo=packed'];
  const { out, call } = await withLinker(store, 'own dwo', 'rm -f "$SC_ORPHAN"/trial-t.*.rcgu.o "$SC_ORPHAN"/trial-t.*.rcgu.dwo', packed);
  t.equal((await call()).code, 0, 'the cold call stores the crate');
  const hit = await call({ SC_ORPHAN: out, SPLITCACHE_SESSION: 'hit' });
  t.notMatch(hit.stderr, /SPLITCACHE_LINK_FAILED/, 'its link step is not taken for a failed split link');
  t.same((await store.calls('hit')).map((e) => e.outcome), ['hit'], 'and it is a hit, not compiled again plainly');
  t.same(readdirSync(out).sort(), ['trial-t', 'trial-t.d', 'trial-t.dwp'], 'the out dir holds what a plain build leaves');
});
