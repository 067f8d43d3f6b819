import t from 'tap';
import { MissesInFlight } from '../src/missesInFlight.js';

const settled = async (p: Promise<void>, ms = 20): Promise<boolean> =>
  Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

t.test('a key under way is waited for until its call ends; none under way is no wait', async (t) => {
  const m = new MissesInFlight();
  t.equal(m.waitFor('k', 60_000), undefined, 'nothing under way: no wait');
  m.begin('k', 'a');
  const wait = m.waitFor('k', 60_000);
  t.ok(wait, 'a wait for the call compiling it');
  t.notOk(await settled(wait!), 'still compiling: still waiting');
  m.end('k', 'b');
  t.notOk(await settled(wait!), "another call's end is not this key's compile ending");
  m.end('other', 'a');
  t.notOk(await settled(wait!), 'nor is the end of another key');
  m.end('k', 'a');
  t.ok(await settled(wait!), 'its end ends the wait');
  t.equal(m.waitFor('k', 60_000), undefined, 'and the key is no longer under way');
  t.equal(m.size, 0);
});

t.test('the first call of a key stays the one waited on; the wait is capped', async (t) => {
  const m = new MissesInFlight();
  m.begin('k', 'a');
  m.begin('k', 'b');
  m.end('k', 'b');
  t.ok(m.waitFor('k', 60_000), "a second begin neither replaced nor ended the first's");
  const started = Date.now();
  await m.waitFor('k', 50);
  t.ok(Date.now() - started >= 45, 'a compile that does not end is waited for up to the cap');
  t.equal(m.size, 1, 'and stays under way');
  m.end('k', 'a');
  t.equal(m.size, 0);
});
