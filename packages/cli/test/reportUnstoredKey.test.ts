import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MISS_CAUSE } from '../src/report/summarizeEvents.js';
import { assertOk, fileTree, Store, tempDir } from './helpers.js';

// A crate whose build failed in a module (not its root source, which is keyed) misses under the
// same key once mended: rustc's errors are never stored, so no entry was ever there. The report
// charted that miss as `same key, its entry gone since`, as if a `clear` had taken one.

/** Each cause's count in the misses chart of a report page. */
function missCounts(html: string): Record<string, number> {
  const chart = html.slice(html.indexOf('data-chart="misses"'), html.indexOf('data-chart="passthrough"'));
  const counts: Record<string, number> = {};
  for (const m of chart.matchAll(/<title>([^<]+): (\d+) of \d+<\/title>/g)) counts[m[1]!] = Number(m[2]);
  return counts;
}

t.test('a miss under a key whose only call was a compile error is charted as none stored, not as an entry gone', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = fileTree({
    'Cargo.toml': '[package]\nname = "mended"\nversion = "0.1.0"\nedition = "2021"\n',
    'src/main.rs': 'mod part;\nfn main() { part::say(); }\n',
    'src/part.rs': 'pub fn say() { println!("{}", missing_name); }\n',
  });
  const broken = await store.cargo(ws, ['build'], { SPLITCACHE_SESSION: 'broken' });
  t.not(broken.code, 0, 'the first build fails in src/part.rs');
  writeFileSync(join(ws, 'src/part.rs'), 'pub fn say() { println!("mended"); }\n');
  assertOk(t, await store.cargo(ws, ['build'], { SPLITCACHE_SESSION: 'mended' }), 'the mended build');

  const events = (await store.audit()).filter((e) => e.crate === 'mended');
  const [error, miss] = [events.find((e) => e.outcome === 'compile-error'), events.find((e) => e.outcome === 'miss')];
  t.ok(error && miss, `a compile error, then a miss: ${events.map((e) => e.outcome).join(', ')}`);
  t.equal(miss?.reason, 'new-key', 'the miss found no manifest');
  t.equal(miss?.key, error?.key, 'under the key of the compile error');

  const file = join(tempDir('report'), 'unstored.html');
  assertOk(t, await store.splitcache(['report', '--html', file]), 'report succeeds');
  const counts = missCounts(readFileSync(file, 'utf8'));
  t.equal(counts[MISS_CAUSE.unstored], 1, `the miss is charted as none stored before: ${JSON.stringify(counts)}`);
  t.equal(counts[MISS_CAUSE.cleared], undefined, 'not as an entry gone');
});
