import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE_VERSION } from '@splitcache/daemon';
import { MISS_CAUSE } from '../src/report/summarizeEvents.js';
import { assertOk, copyFixture, installWithDaemonPatched, Store, tempDir } from './helpers.js';

// After an upgrade that changed the cache format (CACHE_VERSION, a key input), every crate misses
// once. `report` charted those misses as "key: root source, flags, env, deps", as if the user had
// changed each crate's flags or sources; audit events carried no cache format to tell.

/** A copy of this install whose daemon is the real one but for its cache format, one older. */
function olderFormatInstall(): string {
  return installWithDaemonPatched(`CACHE_VERSION=${CACHE_VERSION};`, `CACHE_VERSION=${CACHE_VERSION - 1};`);
}

function missCounts(html: string): Record<string, number> {
  const chart = html.slice(html.indexOf('data-chart="misses"'), html.indexOf('data-chart="passthrough"'));
  return Object.fromEntries([...chart.matchAll(/<title>([^<]+): (\d+) of \d+<\/title>/g)].map((m) => [m[1]!, Number(m[2])]));
}

t.test('the misses of the first build after a cache-format upgrade are charted as the upgrade', async (t) => {
  const older = olderFormatInstall();
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = copyFixture();
  assertOk(t, await store.cargo(ws, ['build'], { RUSTC_WRAPPER: older, SPLITCACHE_SESSION: 'before' }), 'a build by the older install');
  assertOk(t, await store.cargo(ws, ['clean']), 'cargo clean');
  await store.stop();
  assertOk(t, await store.cargo(ws, ['build'], { SPLITCACHE_SESSION: 'after' }), 'the same build after the upgrade');

  const calls = await store.calls();
  const formats = (s: string) => [...new Set(calls.filter((e) => e.session === s).map((e) => (e as { format?: number }).format))];
  t.same(formats('before'), [CACHE_VERSION - 1], "the older daemon's events carry its format");
  t.same(formats('after'), [CACHE_VERSION], "this one's carry its own");
  const after = calls.filter((e) => e.session === 'after');
  t.ok(after.length > 0 && after.every((e) => e.outcome === 'miss' && e.reason === 'new-key'), 'every call after the upgrade missed: new keys');

  const file = join(tempDir('report'), 'upgrade.html');
  assertOk(t, await store.splitcache(['report', '--html', file]), 'report succeeds');
  t.same(missCounts(readFileSync(file, 'utf8')), {
    [MISS_CAUSE.first]: calls.filter((e) => e.session === 'before').length,
    [MISS_CAUSE.upgrade]: after.length,
  }, 'the first build is a first build; every miss after it, the upgrade, and none a changed key');
});
