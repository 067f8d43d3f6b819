import t from 'tap';
import { RwLock } from '../src/rwLock.js';

const tick = () => new Promise((r) => setTimeout(r, 5));

t.test('readers share, a writer runs alone, and a waiting writer blocks new readers', async (t) => {
  const lock = new RwLock();
  const log: string[] = [];
  let active = 0;
  let maxReaders = 0;
  const reader = (id: string) =>
    lock.shared(async () => {
      active++;
      maxReaders = Math.max(maxReaders, active);
      log.push(`r${id}+`);
      await tick();
      log.push(`r${id}-`);
      active--;
    });
  const writer = (id: string) =>
    lock.exclusive(async () => {
      t.equal(active, 0, `writer ${id} runs with no reader active`);
      log.push(`w${id}+`);
      await tick();
      log.push(`w${id}-`);
    });
  await Promise.all([reader('1'), reader('2'), writer('1'), reader('3'), writer('2'), reader('4')]);
  t.equal(maxReaders >= 2, true, 'readers ran together');
  t.ok(log.indexOf('w1+') > log.indexOf('r1-') && log.indexOf('w1+') > log.indexOf('r2-'), 'the writer waited for the readers before it');
  t.ok(log.indexOf('r3+') > log.indexOf('w1-'), 'a reader that came after a waiting writer waited for it');
  for (const w of ['w1', 'w2']) {
    const start = log.indexOf(`${w}+`);
    t.equal(log[start + 1], `${w}-`, `${w} ran alone`);
  }
});

t.test('readers let in together once a writer ends hold out a writer that comes while they run', async (t) => {
  const lock = new RwLock();
  const log: string[] = [];
  let release!: () => void;
  const first = lock.exclusive(() => new Promise<void>((r) => (release = r)));
  await tick();
  // Two replays wait for gc; it ends, they run together; a verify comes while they do.
  const readers = ['a', 'b'].map((id) => lock.shared(async () => (log.push(`${id}+`), await tick(), await tick(), log.push(`${id}-`))));
  release();
  await first;
  await tick();
  const writer = lock.exclusive(async () => void log.push('w'));
  await Promise.all([...readers, writer]);
  t.same(log.slice(-1), ['w'], `the writer ran after both readers (${log.join(' ')})`);
});
