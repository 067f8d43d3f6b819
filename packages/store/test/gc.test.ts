import t from 'tap';
import { planEviction, parseAge, parseSize, type EntrySummary } from '../src/index.js';

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
