import t from 'tap';
import type { Store } from '@splitcache/store';
import { LastHits } from '../src/lastHits.js';

// LastHits writes one batch at a time: hits that come while a write is under way go in the next,
// begun as that one ends, with no later hit needed (mutation X01 left them waiting for one: a
// build's last hits were never written, and gc took those entries for unused). A write that fails
// (a full disk) is only lost: it is no unhandled rejection, which would end the daemon (X02).

/** A store whose touchAll calls are recorded, each ended by the test: `end(i, err?)`. */
function fakeStore() {
  const calls: { keys: string[]; end: (err?: Error) => void }[] = [];
  const store = {
    touchAll: (keys: string[]) => new Promise<void>((res, rej) => calls.push({ keys, end: (err) => (err ? rej(err) : res()) })),
  } as unknown as Store;
  return { store, calls };
}

/** Lets promise callbacks run: a write ended is followed at once by the next. */
const settle = () => new Promise((r) => setImmediate(r));

t.test('hits noted during a write are written when it ends', async (t) => {
  const { store, calls } = fakeStore();
  const hits = new LastHits(store);
  hits.hit('a');
  hits.hit('b');
  hits.hit('c');
  t.same(calls.map((c) => c.keys), [['a']], 'one write at a time');
  calls[0]!.end();
  await settle();
  t.same(calls.map((c) => c.keys), [['a'], ['b', 'c']], 'the hits that came meanwhile, in the next, with no other hit');
  calls[1]!.end();
  await settle();
  t.equal(calls.length, 2, 'and nothing more');
});

t.test('a write that fails is dropped, the daemon goes on, and the next hits are written', async (t) => {
  const { store, calls } = fakeStore();
  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown) => unhandled.push(err);
  process.on('unhandledRejection', onUnhandled);
  t.teardown(() => void process.off('unhandledRejection', onUnhandled));
  const hits = new LastHits(store);
  hits.hit('a');
  hits.hit('b');
  calls[0]!.end(new Error('ENOSPC: no space left on device'));
  for (let i = 0; i < 5; i++) await settle();
  t.same(unhandled, [], 'no unhandled rejection');
  t.same(calls.map((c) => c.keys), [['a'], ['b']], 'the next write begun');
});
