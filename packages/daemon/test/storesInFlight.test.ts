import t from 'tap';
import { StoresInFlight } from '../src/storesInFlight.js';

// A call that ends while an exec-port call is still under way is not the build's last: it ends
// at once, its stores left going (mutation I03 had every such call wait for them, up to 5 s each).
// The last call waits for them. No timing: a store here ends when the test says.

/** A store in flight, ended by `end()`. */
function job() {
  let end!: () => void;
  const p = new Promise<void>((res) => (end = res));
  return { p, end };
}

/** Whether `p` has settled after the callbacks queued now have run. */
async function settledNow(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true));
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  return done;
}

t.test('while an exec-port call is open, a call ends without waiting for the stores', async (t) => {
  const stores = new StoresInFlight();
  const store = job();
  stores.add(store.p);
  const open = stores.openCall();
  t.ok(await settledNow(stores.settleIfLast(0)), 'not the last call: it ends at once');
  open.close();
  const last = stores.settleIfLast(0);
  t.notOk(await settledNow(last), 'the last call waits for the store');
  store.end();
  t.ok(await settledNow(last), 'and ends once it is in');
});

t.test('a miss compiling elsewhere makes a call not the last either', async (t) => {
  const stores = new StoresInFlight();
  const store = job();
  stores.add(store.p);
  t.ok(await settledNow(stores.settleIfLast(1)), 'it ends at once');
  store.end();
});
