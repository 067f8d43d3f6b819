import t from 'tap';
import type { AuditEvent } from '@splitcache/store';
import { renderReport } from '../src/report/renderReport.js';
import { MISS_CAUSE } from '../src/report/summarizeEvents.js';

// Each miss reason the daemon records is charted under its own cause, whatever the calls before it:
// a reason dropped from the report's table read "entry there, not served", which none of these is.
// The page is a pure function of the audit log, so each is one crate's two misses.

const T0 = Date.UTC(2026, 0, 15, 9, 0);
const META = { dir: '/home/ci/.cache/splitcache', generatedAt: T0 + 3_600_000 };

function lib(time: number, outcome: AuditEvent['outcome'], extra: Partial<AuditEvent> = {}): AuditEvent {
  return { time, session: 's', crate: 'regex', crateType: 'lib', outcome, ...extra };
}

/** The misses chart's count under `cause`, or undefined where the chart has no such bar. */
function counted(events: AuditEvent[], cause: string): string | undefined {
  const html = renderReport(events, undefined, META);
  const misses = html.slice(html.indexOf('data-chart="misses"'), html.indexOf('data-chart="passthrough"'));
  return misses.match(new RegExp(`<title>${cause.replace(/[()]/g, '\\$&')}: (\\d+) of \\d+</title>`))?.[1];
}

const RECORDED: [string, string][] = [
  ['evicted', MISS_CAUSE.evicted],
  ['damaged', MISS_CAUSE.damaged],
  ['recache', MISS_CAUSE.recache],
  ['diagnostic-form', MISS_CAUSE.form],
  ['unchecked-download', MISS_CAUSE.unchecked],
  ['remap-covers-input', MISS_CAUSE.remap],
  ['inputs-changed', MISS_CAUSE.inputs],
  ['entry-gone', MISS_CAUSE.cleared],
  // The remote's own reason follows the local one: the local one decides.
  ['inputs-changed,remote-no-entry', MISS_CAUSE.inputs],
  ['replay-failed:SPLITCACHE_BLOB_MISSING', MISS_CAUSE.unserved],
  ['link-failed', MISS_CAUSE.unserved],
  ['output-read-only', MISS_CAUSE.unserved],
];

for (const [reason, cause] of RECORDED) {
  t.test(`a miss recorded as ${reason} is charted as '${cause}'`, async (t) => {
    const events = [lib(T0, 'miss', { key: 'k1', reason: 'new-key' }), lib(T0 + 1000, 'miss', { key: 'k1', reason })];
    t.equal(counted(events, cause), '1', 'one miss there');
    t.equal(counted(events, MISS_CAUSE.first), '1', 'the other, the first build');
  });
}

t.test('a new key: a first build, a changed key, an entry gone, or none stored', async (t) => {
  const newKey = (key: string) => lib(T0 + 5000, 'miss', { key, reason: 'new-key,remote-new-key' });
  t.equal(counted([newKey('k1')], MISS_CAUSE.first), '1', 'a crate seen nowhere before: its first build');
  t.equal(counted([lib(T0, 'hit', { key: 'k1', origin: 'remote', timeSavedMs: 5 }), newKey('k2')], MISS_CAUSE.key), '1', 'another key of a crate seen: a changed key');
  t.equal(counted([lib(T0, 'hit', { key: 'k1', origin: 'remote', timeSavedMs: 5 }), newKey('k1')], MISS_CAUSE.cleared), '1', 'a key hit before (fetched from a remote): its entry gone since');
  t.equal(counted([lib(T0, 'compile-error', { key: 'k1' }), newKey('k1')], MISS_CAUSE.unstored), '1', 'a key whose call failed to compile: none stored');
  t.equal(counted([lib(T0, 'miss', { key: 'k1', reason: 'new-key', notStored: 'too-large' }), newKey('k1')], MISS_CAUSE.unstored), '1', 'a key whose miss was too large to store: none stored');
});
