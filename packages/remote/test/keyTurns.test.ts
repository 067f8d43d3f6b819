import t from 'tap';
import { KeyTurns } from '../src/server/keyTurns.js';

// The turns of one key: PUTs of it one after another, in the order they came, and eviction never
// waits behind one (a PUT whose client trickles its body holds its turn for as long; an eviction pass
// that waited for it held every other eviction back, the store over its --max-size meanwhile).

/** What `p` settled to by the next turn of the event loop: { value }, or 'pending' (it waits). */
async function soon<T>(p: Promise<T>): Promise<{ value: T } | 'pending'> {
  let got: { value: T } | 'pending' = 'pending';
  void p.then((value) => (got = { value }));
  await new Promise((res) => setImmediate(res));
  return got;
}

/** A change that runs until `end()` is called: whether it began, and its promise once run. */
function held() {
  let end!: () => void;
  const done = new Promise<void>((res) => (end = res));
  const c = { began: false, ended: false, fn: async () => ((c.began = true), await done, (c.ended = true)), end };
  return c;
}

t.test('three changes of one key run one at a time, in order; the key is busy until the last ends', async (t) => {
  const turns = new KeyTurns();
  const [a, b, c] = [held(), held(), held()];
  const runs = [turns.run('k', a.fn), turns.run('k', b.fn), turns.run('k', c.fn)];
  await new Promise((res) => setImmediate(res));
  t.same([a.began, b.began, c.began], [true, false, false], 'only the first runs');
  a.end();
  await runs[0];
  await new Promise((res) => setImmediate(res));
  t.same([b.began, c.began], [true, false], 'the second runs once the first ended, the third still waits');
  t.ok(turns.has('k'), 'the key is busy while the third waits');
  t.same(await soon(turns.runIfFree('k', async () => 'evicted')), { value: undefined }, 'an eviction is refused meanwhile, at once');
  b.end();
  await runs[1];
  await new Promise((res) => setImmediate(res));
  t.ok(c.began, 'the third runs');
  c.end();
  await Promise.all(runs);
  t.notOk(turns.has('k'), 'and the key is free after the last');
});

t.test('an eviction of a key a change holds returns at once, without waiting for that change', async (t) => {
  const turns = new KeyTurns();
  const put = held();
  const putting = turns.run('k', put.fn);
  let evicted = false;
  t.same(await soon(turns.runIfFree('k', async () => (evicted = true))), { value: undefined }, 'refused at once, not waiting behind the PUT');
  t.notOk(evicted, 'and nothing removed');
  t.equal(await turns.runIfFree('other', async () => 'evicted'), 'evicted', 'another key is evicted meanwhile');
  put.end();
  await putting;
  t.equal(await turns.runIfFree('k', async () => 'evicted'), 'evicted', 'once the PUT ended, the key is evicted');
});

t.test('a change that fails frees its turn for the next', async (t) => {
  const turns = new KeyTurns();
  const failing = turns.run('k', async () => {
    throw new Error('failed');
  });
  const next = turns.run('k', async () => 'ran');
  await t.rejects(failing, /failed/);
  t.equal(await next, 'ran');
  t.notOk(turns.has('k'));
});
