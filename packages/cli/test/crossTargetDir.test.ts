import t from 'tap';
import { join } from 'node:path';
import { assertOk, copyFixture, run, Store, tempDir } from './helpers.js';

// A build for an explicit --target lays its crates out as <target>/<triple>/<profile>/deps and its
// host crates (build scripts, proc-macros) as <target>/<profile>/deps: the target dir prefix is
// <target>, the triple taken off (prefixes.ts). With that step gone, every test passed (a mutation
// audit's survivor) while, with the target dir outside the checkout (`--target-dir`: no
// CARGO_TARGET_DIR names it), every crate that names a host
// crate (a proc-macro's user, a build script's run) keyed that target dir's path, and missed in
// another one.
t.test('a --target build hits in another target dir outside the checkout, host crates and their users too', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const host = /^host: (\S+)$/m.exec((await run('rustc', ['-vV'])).stdout)?.[1];
  t.ok(host, `the host triple (${host})`);
  const ws = copyFixture();
  for (const session of ['a', 'b']) {
    const target = join(tempDir(`xt-${session}`), 'target');
    assertOk(t, await store.cargo(ws, ['build', '--target', host!, '--target-dir', target], { SPLITCACHE_SESSION: session }), `the build in target dir ${session}`);
    const ran = await run(join(target, host!, 'debug', 'fx-app'), []);
    t.match(ran.stdout, /double=42/, 'its binary runs');
  }
  const calls = await store.calls('b');
  t.ok(calls.some((c) => c.crateType === 'proc-macro'), 'a proc-macro among the calls');
  t.same(calls.filter((c) => c.outcome !== 'hit').map((c) => `${c.crate}:${c.crateType}:${c.reason ?? ''}`), [], 'every crate hits in the second target dir');
});
