import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AuditEvent } from '@splitcache/store';
import { renderReport } from '../src/report/renderReport.js';
import { MISS_CAUSE } from '../src/report/summarizeEvents.js';
import { countColours, decodePng, hasColour } from './decodePng.js';
import { assertOk, copyFixture, Store, tempDir } from './helpers.js';

// Issue 5's report: the page is a pure function of the audit log (unit), and
// a real build's report renders its charts in headless Chromium (end to end).

const T0 = Date.UTC(2025, 0, 15, 9, 0);
const HOUR = 3_600_000;
const HOSTILE = '<script>alert(1)</script>';
const HOSTILE_SESSION = 'main"><img src=x onerror=alert(2)>';
const META = { dir: '/home/ci/.cache/splitcache', generatedAt: T0 + 3 * HOUR };

function ev(time: number, session: string, crate: string, outcome: AuditEvent['outcome'], extra: Partial<AuditEvent> = {}): AuditEvent {
  return { time, session, crate, crateType: outcome === 'passthrough' ? '' : 'lib', outcome, ...extra };
}

/** Three sessions whose names sort differently from their times: 'nightly', then 'a-branch', then the hostile one. */
function synthetic(): AuditEvent[] {
  const a = T0;
  const b = T0 + HOUR;
  const c = T0 + 2 * HOUR;
  const events = [
    ev(a, 'nightly', 'alpha', 'miss', { key: 'k1' }),
    ev(a + 1, 'nightly', 'beta', 'miss', { key: 'k2' }),
    ev(a + 2, 'nightly', HOSTILE, 'miss', { key: 'k3' }),
    ev(a + 3, 'nightly', '___', 'passthrough', { reason: 'print-request' }),
    ev(a + 4, 'nightly', 'build_script_build', 'passthrough', { reason: 'crate-type bin' }),
    ev(b, 'a-branch', 'alpha', 'hit', { key: 'k1', origin: 'local', producer: 'ci-1', bytes: 1000, timeSavedMs: 1500 }),
    ev(b + 1, 'a-branch', 'beta', 'hit', { key: 'k2', origin: 'remote', producer: 'ci-2', bytes: 2048, timeSavedMs: 2500 }),
    ev(b + 2, 'a-branch', HOSTILE, 'hit', { key: 'k3', origin: 'local', producer: 'ci-1', bytes: 1024, timeSavedMs: 500 }),
    ev(b + 3, 'a-branch', 'delta', 'miss', { key: 'k4', reason: 'inputs-changed', notStored: 'input-modified-during-compile' }),
    ev(c, HOSTILE_SESSION, 'alpha', 'hit', { key: 'k1', origin: 'local', producer: 'ci-1', bytes: 1000, timeSavedMs: 1500 }),
    ev(c + 1, HOSTILE_SESSION, 'beta', 'miss', { key: 'k5' }),
    ev(c + 2, HOSTILE_SESSION, HOSTILE, 'miss', { key: 'k3' }),
    ev(c + 3, HOSTILE_SESSION, 'epsilon', 'compile-error', { key: 'k6' }),
  ];
  // The daemon returns them oldest first; the report must not depend on it.
  return [...events.slice(7), ...events.slice(0, 7).reverse()];
}

const STATS = {
  hits: 40, misses: 10, compileErrors: 1, notStored: {}, passthrough: {}, errors: { SPLITCACHE_BLOB_CORRUPT: 2 }, byType: {},
  bytesRestored: 3 * 1024 * 1024, bytesStored: 5 * 1024 * 1024, timeSavedMs: 90_000,
};

t.test('renderReport: numbers, order, causes and reasons', async (t) => {
  const html = renderReport(synthetic(), STATS, META);
  // 4 hits (3 local, 1 remote), 7 misses (one a compile error), 2 pass-throughs.
  t.match(html, /<div class="k">calls<\/div><div class="v">13<\/div>/, 'total calls');
  t.match(html, /<div class="k">hit rate<\/div><div class="v">36\.4 %<\/div>/, '4 of 11 cacheable calls hit');
  t.match(html, /<div class="k">time saved<\/div><div class="v">6\.0 s<\/div>/, 'time saved is summed over hits');
  t.match(html, /<div class="k">bytes restored<\/div><div class="v">5\.0 KiB<\/div>/, 'bytes restored');
  t.match(html, /3 local · 1 remote/);
  t.match(html, /Store lifetime: 40 hits · 10 misses · hit rate 80\.0 % · 1\.5 min saved · 3\.0 MiB restored · 5\.0 MiB stored · 2 cache faults/);
  t.match(renderReport(synthetic(), { ...STATS, zeroedAt: Date.UTC(2026, 11, 6, 9, 30) }, META), /Store counters since they were zeroed \(2026-12-06 09:30 UTC\): 40 hits/, 'after stats --zero, the counters say since when (they read as the store\'s whole life)');
  t.match(html, /<code>\/home\/ci\/\.cache\/splitcache<\/code>/, 'store dir');
  t.match(html, /generated 2025-01-15 12:00 UTC/, 'generated at');

  const sessions = html.slice(html.indexOf('data-chart="sessions"'), html.indexOf('data-chart="origin"'));
  const order = ['nightly', 'a-branch', 'main&quot;&gt;'].map((s) => sessions.indexOf(s));
  t.ok(order.every((i, n) => i > 0 && (n === 0 || i > order[n - 1]!)), `sessions by first event time: ${order.join(' < ')}`);
  t.match(sessions, />0%<\/text>.*>75%<\/text>.*>25%<\/text>/s, 'per-session hit rates in time order');

  const crates = html.slice(html.indexOf('data-chart="crates"'), html.indexOf('data-chart="misses"'));
  t.match(crates, /alpha<\/text>.*3\.0 s.*beta<\/text>.*2\.5 s.*&lt;script&gt;alert\(1\)&lt;\/script&gt;<\/text>.*500 ms/s, 'crates by time saved');
  t.match(crates, /alpha: 3\.0 s saved over 2 hits/);

  const misses = html.slice(html.indexOf('data-chart="misses"'), html.indexOf('data-chart="passthrough"'));
  t.match(misses, new RegExp(`${MISS_CAUSE.first}</text>.*>3 · 42\\.9 %<`, 's'), 'three first builds of seven misses');
  t.match(misses, new RegExp(`${MISS_CAUSE.key}</text>.*>1 · 14\\.3 %<`, 's'), 'beta under a new key');
  t.match(misses, new RegExp(`${MISS_CAUSE.inputs}</text>.*>2 · 28\\.6 %<`, 's'), 'the hostile crate under a known key, and delta, whose miss the daemon found a changed input');
  t.match(misses, new RegExp(`${MISS_CAUSE.compileError.replace(/[()]/g, '\\$&')}</text>`));
  t.match(misses, /Compiled but not stored: input-modified-during-compile ×1/);

  const pass = html.slice(html.indexOf('data-chart="passthrough"'), html.indexOf('id="latest"'));
  t.match(pass, /crate-type bin<\/text>.*>1 · 50\.0 %</s);
  t.match(pass, /print-request<\/text>.*>1 · 50\.0 %</s);

  const table = html.slice(html.indexOf('id="latest"'));
  const rows = table.split('<tr>').slice(2);
  t.equal(rows.length, 3, 'one row per session');
  t.match(rows[0], /^<td title="main&quot;&gt;&lt;img src=x onerror=alert\(2\)&gt;">/, 'newest session first, escaped in the attribute too');
  t.match(rows[0], /<td>4<\/td><td>1 <span class="muted">\(1 \/ 0\)<\/span><\/td><td>3<\/td><td>0<\/td><td>25\.0 %<\/td><td>1\.5 s<\/td>/);
  t.match(rows[1], /a-branch.*<td>75\.0 %<\/td><td>4\.5 s<\/td><td>4\.0 KiB<\/td>/);
  t.match(rows[2], /nightly.*<td>5<\/td>.*<td>0\.0 %<\/td><td>0 ms<\/td><td>0 B<\/td>/);
  t.equal((html.match(/<svg /g) ?? []).length, 5, 'five charts');
});

t.test("renderReport: build scripts are told apart by their package, as cargo names them", async (t) => {
  const script = (time: number, pkg: string, outcome: AuditEvent['outcome'], extra: Partial<AuditEvent> = {}): AuditEvent =>
    ({ time, session: 's', crate: 'build_script_build', pkg, crateType: 'build-script', outcome, ...extra });
  const events = [
    script(T0, 'serde', 'miss', { key: 'a1' }),
    script(T0 + 1, 'libc', 'miss', { key: 'b1' }),
    script(T0 + HOUR, 'serde', 'hit', { key: 'a1', origin: 'local', producer: 'ci', timeSavedMs: 2000 }),
    script(T0 + HOUR + 1, 'libc', 'hit', { key: 'b1', origin: 'local', producer: 'ci', timeSavedMs: 700 }),
  ];
  const html = renderReport(events, STATS, META);
  const crates = html.slice(html.indexOf('data-chart="crates"'), html.indexOf('data-chart="misses"'));
  t.match(crates, /serde \(build script\)<\/text>.*2\.0 s.*libc \(build script\)<\/text>.*700 ms/s, 'each build script its own bar, named by its package');
  const misses = html.slice(html.indexOf('data-chart="misses"'), html.indexOf('data-chart="passthrough"'));
  t.match(misses, new RegExp(`${MISS_CAUSE.first}</text>.*>2 · 100\\.0 %<`, 's'), "both misses are first builds: libc's is not taken for a changed key of serde's");
  t.notMatch(misses, new RegExp(`${MISS_CAUSE.key}</text>`), 'and none is under a new key');
});

// A miss the daemon found evicted (by gc, or by audit verify for a damaged blob) is charted as such,
// not as a new key or a changed source.
for (const [reason, cause] of [['evicted', MISS_CAUSE.evicted], ['damaged', MISS_CAUSE.damaged]] as const) {
  t.test(`renderReport: a miss the daemon found ${reason} is charted as ${cause}`, async (t) => {
    const lib = (time: number, outcome: AuditEvent['outcome'], extra: Partial<AuditEvent> = {}): AuditEvent =>
      ({ time, session: 's', crate: 'regex', crateType: 'lib', outcome, ...extra });
    const events = [lib(T0, 'miss', { key: 'k1', reason: 'new-key' }), lib(T0 + HOUR, 'miss', { key: 'k1', reason })];
    const html = renderReport(events, STATS, META);
    const misses = html.slice(html.indexOf('data-chart="misses"'), html.indexOf('data-chart="passthrough"'));
    t.match(misses, new RegExp(`${cause.replace(/[()]/g, '\\$&')}</text>.*>1 · 50\\.0 %<`, 's'), `the second miss: ${reason}`);
    t.notMatch(misses, new RegExp(`${MISS_CAUSE.inputs}</text>`), 'not a changed source under a known key');
  });
}

t.test('renderReport: hostile text is escaped and the page loads nothing', async (t) => {
  const html = renderReport(synthetic(), STATS, { ...META, session: '<b>x</b>', dir: '/tmp/"&<dir>' });
  t.notMatch(html, /<script/i, 'no script element, not even the crate name');
  t.notMatch(html, /<img/i, 'no element from a session id');
  t.notMatch(html, /<b>x/, 'the session filter is escaped');
  t.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/, 'the crate name is shown as text');
  t.match(html, /<code>\/tmp\/&quot;&amp;&lt;dir&gt;<\/code>/);
  t.notMatch(html, /(src|href)\s*=\s*["']?(https?:|\/\/)/i, 'no external resources');
  t.match(html, /Content-Security-Policy" content="default-src 'none'/);
});

t.test('renderReport: empty input is a sensible page', async (t) => {
  for (const stats of [undefined, {}, STATS]) {
    const html = renderReport([], stats, META);
    t.notMatch(html, /NaN|Infinity|undefined/, 'no broken numbers');
    t.match(html, /<div class="k">calls<\/div><div class="v">0<\/div>/);
    t.match(html, /<div class="k">hit rate<\/div><div class="v">–<\/div>/, 'no rate without calls');
    t.match(html, /No sessions yet/);
    t.match(html, /No cacheable calls yet/);
    t.match(html, /No time saved yet/);
    t.equal((html.match(/<svg /g) ?? []).length, 5, 'every chart still has its place');
  }
  // A session with only pass-throughs has no hit rate, and a hit with no timing saves nothing.
  const html = renderReport(
    [ev(T0, 's', 'x', 'passthrough', { reason: 'r' }), ev(T0 + 1, 't', 'y', 'hit', { origin: 'local' })],
    undefined,
    META,
  );
  t.notMatch(html, /NaN|Infinity|undefined/);
  t.match(html, />n\/a<\/text>/);
});

// A session mistyped made an empty page, exit 0, with no word. It is still written, as
// `stats --session` prints its line of zeros, and stderr says that no call matched.
t.test('a report of calls none of which are in the audit log says so on stderr, and is written', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const file = join(tempDir('report'), 'none.html');
  const r = await store.splitcache(['report', '--html', file, '--session', 'nosuch']);
  assertOk(t, r, 'report succeeds');
  t.equal(r.stdout.trim(), file, 'prints the output path');
  t.equal(r.stderr, 'splitcache report: no call in the audit log matches --session nosuch; the report is empty\n', 'and says no call matched');
  t.ok(existsSync(file), 'the page is written');
});

const CHROMIUM = '/usr/bin/chromium';

t.test('end to end: two sessions through the wrapper, the report renders in Chromium', async (t) => {
  const store = new Store();
  const ws = copyFixture();
  t.teardown(() => store.stop());
  assertOk(t, await store.cargo(ws, ['build', '--all-targets'], { SPLITCACHE_SESSION: 'one' }), 'session one builds');
  t.equal((await store.cargo(ws, ['clean'])).code, 0);
  assertOk(t, await store.cargo(ws, ['build', '--all-targets'], { SPLITCACHE_SESSION: 'two' }), 'session two builds');
  // Incremental builds are never cached: session three's calls all pass through, which fills the last chart.
  assertOk(t, await store.cargo(ws, ['build', '-p', 'fx-util'], { SPLITCACHE_SESSION: 'three', CARGO_INCREMENTAL: '1' }), 'session three builds');
  const file = join(tempDir('report'), 'report.html');
  const r = await store.splitcache(['report', '--html', file]);
  assertOk(t, r, 'report succeeds');
  t.equal(r.stdout.trim(), file, 'prints the output path');
  const html = readFileSync(file, 'utf8');
  const s = await store.stats();
  t.match(html, new RegExp(`<div class="k">calls</div><div class="v">\\d+</div>`));
  t.match(html, new RegExp(`Store lifetime: ${s.hits} hits · ${s.misses} misses`));

  const usage = await store.splitcache(['report']);
  t.equal(usage.code, 2, 'report without --html is a usage error');

  const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is absent: install the Debian package chromium`;
  await t.test('the page renders in headless Chromium', { skip }, async (t) => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
    t.teardown(() => browser.close());
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('request', (req) => {
      if (!req.url().startsWith('file:') && !req.url().startsWith('data:')) problems.push(`request: ${req.url()}`);
    });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });

    const rows = await page.$$eval('#latest tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
    t.same(rows.map((r) => r[0]), ['three', 'two', 'one'], 'latest sessions, newest first');
    t.equal(rows[0]![7], '–', 'session three had no cacheable call');
    t.equal(rows[1]![7], '100.0 %', 'session two hit every cacheable call');
    t.equal(rows[2]![7], '0.0 %', 'session one was cold');
    t.match(await page.textContent('#passthrough'), /incremental/, 'pass-throughs by reason');

    // Each chart's series colour (the light theme's; headless Chromium prefers light).
    const SERIES: Record<string, string> = { sessions: '#2f9e6e', origin: '#2f9e6e', crates: '#2f9e6e', misses: '#e07b39', passthrough: '#8a93a6' };
    const charts = await page.$$('figure.chart');
    t.same(await Promise.all(charts.map((c) => c.getAttribute('data-chart'))), Object.keys(SERIES), 'five charts');
    for (const chart of charts) {
      const name = (await chart.getAttribute('data-chart'))!;
      const svg = (await chart.$('svg'))!;
      const box = await svg.boundingBox();
      t.ok(box && box.width > 0 && box.height > 0, `${name}: the SVG has a size (${box?.width}×${box?.height})`);
      const png = decodePng(await svg.screenshot());
      const colours = countColours(png);
      t.ok(colours >= 3, `${name}: the chart area is not blank (${colours} colours in ${png.width}×${png.height})`);
      t.ok(hasColour(png, SERIES[name]!), `${name}: data is drawn in ${SERIES[name]}`);
    }
    t.same(problems, [], 'no console errors, page errors or network requests');
  });
});
