import t from 'tap';
import { join } from 'node:path';
import { assertOk, copyFixture, Store, tempDir } from './helpers.js';

// `-C instrument-coverage` (cargo-llvm-cov's RUSTFLAGS) puts a coverage map naming each source by
// absolute path into the code, so a crate that writes code is keyed by its checkout (manifestKey.ts,
// item 14). A `cargo check` writes metadata only: no code, no map. Keyed by its checkout all the
// same, a check in a copy of the checkout hit none of the workspace's libs (a hunt).
t.test('-C instrument-coverage: a cargo check in another checkout hits the libs', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const coverage = { RUSTFLAGS: '-Cinstrument-coverage' };
  const a = copyFixture(join(tempDir('covcheck-a'), 'ws'));
  const b = copyFixture(join(tempDir('covcheck-b'), 'deeper', 'ws'));
  assertOk(t, await store.cargo(a, ['check', '--workspace'], { ...coverage, SPLITCACHE_SESSION: 'a' }), 'a check with coverage in A');
  assertOk(t, await store.cargo(b, ['check', '--workspace'], { ...coverage, SPLITCACHE_SESSION: 'b' }), 'and in B');
  const calls = await store.audit('b');
  // fx-core and fx-util use no crate of the workspace that links (fx-derive, a proc-macro, writes
  // code: its coverage map names B's files, and so its dependants miss, as they must).
  const libs = calls.filter((e) => e.crateType === 'lib' && ['fx_core', 'fx_util'].includes(e.crate));
  t.equal(libs.length, 2, 'B checked fx-core and fx-util');
  t.same(libs.map((e) => `${e.crate} ${e.outcome}`).sort(), ['fx_core hit', 'fx_util hit'], 'each a hit');
  // fx-derive comes twice: checked as a member (metadata only, so shared), and built for fx-app,
  // whose code's map names B's sources: that one, and fx-app above it, must miss.
  const macro = calls.filter((e) => e.crateType === 'proc-macro').map((e) => e.outcome);
  t.same(macro.sort(), ['hit', 'miss'], 'fx-derive\'s check hits, its build misses');
});
