import t from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, hitRate, ROOT, run, Store, tempDir } from './helpers.js';

// Issue 3, item 2: a workspace with registry dependencies (Debian's librust-*-dev
// crates through a cargo directory source), built from two checkouts whose
// registry, CARGO_HOME and target dir all sit at different paths.
type Fixture = { makeTokioWorkspace(dir: string, o: { registry: string }): { dir: string; bins: string[] }; mirrorRegistry(dest: string, o?: { mode?: string }): string };
const fixture = (await import(join(ROOT, 'test', 'fixtures', 'registry', 'make-workspace.mjs'))) as Fixture;
const haveCrates = existsSync('/usr/share/cargo/registry');

t.test('registry crates at another path hit ≥ 95% and the binary runs', { skip: !haveCrates && 'Debian librust-*-dev packages are not installed (see .ci/debian-packages.txt)' }, async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const regA = fixture.mirrorRegistry(join(tempDir('reg-a'), 'registry'));
  const regB = fixture.mirrorRegistry(join(tempDir('reg-b'), 'some', 'other', 'registry'));
  const a = fixture.makeTokioWorkspace(join(tempDir('ra'), 'ws'), { registry: regA });
  const b = fixture.makeTokioWorkspace(join(tempDir('rb'), 'checkouts', 'echod'), { registry: regB });
  const common = { CARGO_NET_OFFLINE: 'true' };
  const ta = tempDir('ta');
  assertOk(t, await store.cargo(a.dir, ['build', '--offline'], { ...common, CARGO_HOME: tempDir('home-a'), CARGO_TARGET_DIR: ta, SPLITCACHE_SESSION: 'a' }), 'checkout A builds');
  const tb = tempDir('tb');
  const rb = await store.cargo(b.dir, ['build', '--offline'], { ...common, CARGO_HOME: tempDir('home-b'), CARGO_TARGET_DIR: tb, SPLITCACHE_SESSION: 'b' });
  assertOk(t, rb, 'checkout B builds');
  const r = hitRate(await store.calls('b'));
  t.ok(r.total >= 30, `${r.total} cacheable calls`);
  t.ok(r.rate >= 0.95, `hit rate ${(100 * r.rate).toFixed(1)} % (missed: ${r.missed.join(', ') || 'none'})`);
  const events = await store.audit('b');
  for (const type of ['bin', 'build-script', 'proc-macro']) t.ok(events.some((e) => e.outcome === 'hit' && e.crateType === type), `${type} crates hit`);
  const out = await run(join(tb, 'debug', b.bins[0]!), []);
  t.equal(out.code, 0, `${b.bins[0]} runs`);
  // A's build compiled every crate (all misses): its binary is what an uncached build prints.
  const uncached = await run(join(ta, 'debug', a.bins[0]!), []);
  t.ok(out.stdout.length > 0);
  t.equal(out.stdout, uncached.stdout, 'and prints what the uncached build prints');
});
