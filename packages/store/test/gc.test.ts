import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectGarbage, planEviction, parseAge, parseSize, Store, type AuditEvent, type EntrySummary } from '../src/index.js';

const e = (key: string, lastAccess: number, blobs: [string, number][]): EntrySummary => ({
  key, lastAccess, blobs: blobs.map(([digest, size]) => ({ digest, size })),
});

t.test('eviction keeps the most recently hit entries that fit, strictly by recency', async (t) => {
  const entries = [e('old', 1, [['a', 10]]), e('mid', 2, [['b', 60]]), e('new', 3, [['c', 50]])];
  t.same([...planEviction(entries, { maxBytes: 100 }).evict].sort(), ['mid', 'old'], 'mid does not fit, so old (which would) goes too');
  t.same([...planEviction(entries, { maxBytes: 1000 }).evict], [], 'everything fits');
  t.same([...planEviction(entries, { maxBytes: 1000, olderThan: 2 }).evict], ['old'], 'older than the cut-off');
});

t.test('blobs shared by entries count once', async (t) => {
  const entries = [e('x', 2, [['shared', 50], ['x1', 10]]), e('y', 1, [['shared', 50], ['y1', 10]])];
  const plan = planEviction(entries, { maxBytes: 70 });
  t.same([...plan.evict], []);
  t.equal(plan.keptBytes, 70);
});

t.test('sizes and ages parse like ccache settings', async (t) => {
  t.equal(parseSize('10G'), 10 * 2 ** 30);
  t.equal(parseSize('512M'), 512 * 2 ** 20);
  t.equal(parseSize('1.5GiB'), 1.5 * 2 ** 30);
  t.equal(parseSize('4096'), 4096);
  t.equal(parseSize('lots'), undefined);
  t.equal(parseAge('30d'), 30 * 864e5);
  t.equal(parseAge('12h'), 12 * 36e5);
  t.equal(parseAge('soon'), undefined);
});

t.test('gc removes the audit log lines older than auditKeepMs, and only those', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-auditgc-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = await Store.open(dir);
  t.teardown(() => store.close().catch(() => undefined));
  const day = 864e5;
  const now = Date.now();
  const line = (daysAgo: number, crate: string): AuditEvent => ({ time: now - daysAgo * day, session: 's', crate, crateType: 'lib', outcome: 'hit' });
  await store.appendEvents([line(400, 'ancient'), line(91, 'old'), line(91, 'old2'), line(89, 'recent'), line(0, 'today')]);

  const kept = await collectGarbage(store, { maxBytes: Infinity });
  t.equal(kept.auditLinesRemoved, 0, 'without auditKeepMs the log is kept whole');
  const r = await collectGarbage(store, { maxBytes: Infinity, auditKeepMs: 90 * day });
  t.equal(r.auditLinesRemoved, 3, 'the three lines older than 90 days');
  const left: string[] = [];
  for await (const e of store.events()) left.push(e.crate);
  t.same(left, ['recent', 'today'], 'the rest, in order');
  t.equal((await collectGarbage(store, { maxBytes: Infinity, auditKeepMs: 90 * day })).auditLinesRemoved, 0, 'nothing more to remove');
  t.equal(await store.trimEvents(now + 1), 2, 'trimEvents up to now takes the rest');
});
