import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MISS_CAUSE } from '../src/report/summarizeEvents.js';
import { assertOk, copyFixture, Store, tempDir } from './helpers.js';

// The report's "Why calls missed" chart takes the cause the daemon recorded for each miss. Judged
// by keys alone, a miss under a key seen before always read "a file it read changed, same key":
// the build after `splitcache clear`, a SPLITCACHE_RECACHE build, and a call whose entry holds
// diagnostics of another form were all charted as changed sources, and none was one.

/** Each cause's count in the misses chart of a report page. */
function missCounts(html: string): Map<string, number> {
  const chart = html.slice(html.indexOf('data-chart="misses"'), html.indexOf('data-chart="passthrough"'));
  const counts = new Map<string, number>();
  for (const m of chart.matchAll(/<title>([^<]+): (\d+) of \d+<\/title>/g)) counts.set(m[1]!, Number(m[2]));
  return counts;
}

t.test('a report charts each miss of real builds by the cause the daemon recorded', async (t) => {
  const store = new Store();
  const ws = copyFixture();
  t.teardown(() => store.stop());
  const clean = async () => t.equal((await store.cargo(ws, ['clean'])).code, 0, 'cargo clean');
  assertOk(t, await store.cargo(ws, ['build'], { SPLITCACHE_SESSION: 'first' }), 'the first build');
  await clean();
  assertOk(t, await store.splitcache(['clear']), 'the store is cleared');
  assertOk(t, await store.cargo(ws, ['build'], { SPLITCACHE_SESSION: 'cleared' }), 'the build after the clear');
  await clean();
  assertOk(t, await store.cargo(ws, ['build'], { SPLITCACHE_SESSION: 'recache', SPLITCACHE_RECACHE: '1' }), 'the recache build');
  await clean();
  // fx_util prints a warning: its entry holds it in rustc's default form.
  assertOk(t, await store.cargo(ws, ['build', '--message-format=short'], { SPLITCACHE_SESSION: 'short' }), 'the short-form build');

  const events = await store.audit();
  const misses = events.filter((e) => e.outcome === 'miss');
  const reasons = (s: string) => misses.filter((e) => e.session === s).map((e) => e.reason);
  t.ok(reasons('cleared').length > 0 && reasons('cleared').every((r) => r === 'new-key'), `after the clear every miss is new-key: ${reasons('cleared')}`);
  t.ok(reasons('recache').length > 0 && reasons('recache').every((r) => r === 'recache'), `recache misses: ${reasons('recache')}`);
  t.same(reasons('short'), ['diagnostic-form'], 'the short build misses fx_util alone, for its diagnostics');

  const file = join(tempDir('report'), 'causes.html');
  assertOk(t, await store.splitcache(['report', '--html', file]), 'report succeeds');
  const counts = missCounts(readFileSync(file, 'utf8'));
  t.same(Object.fromEntries(counts), {
    [MISS_CAUSE.first]: reasons('first').length,
    [MISS_CAUSE.cleared]: reasons('cleared').length,
    [MISS_CAUSE.recache]: reasons('recache').length,
    [MISS_CAUSE.form]: 1,
  }, 'each miss under its own cause; none under a changed input');
  t.equal(counts.get(MISS_CAUSE.inputs), undefined, 'no source changed, and none is said to');
});
