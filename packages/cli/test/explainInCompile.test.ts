import t from 'tap';
import { BIN, printingCrate, printingCrateArgs, realRustc, run, Store } from './helpers.js';

// `rustc --explain CODE` beside a crate's arguments prints the code's text and compiles nothing
// (a wrong-hits sweep's, bench/sweep): such a call passes through, and prints what plain rustc prints.
t.test('--explain in a compile call prints its text once, as plain rustc does, and passes through', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const rustc = await realRustc();
  const crate = printingCrate('explained');
  const args = [...printingCrateArgs(crate), '--explain', 'E0002'];
  const plain = await run(rustc, args, { cwd: crate });
  t.equal(plain.code, 0, 'plain rustc explains');
  t.match(plain.stdout, /empty match expression/, 'E0002');
  for (const round of ['first', 'second']) {
    const r = await run(BIN, [rustc, ...args], { cwd: crate, env: store.env() });
    t.equal(r.code, 0, `the ${round} call exits 0`);
    t.equal(r.stdout, plain.stdout, 'printing the text once, as plain rustc (old code: twice, once from each half of the split)');
  }
  t.equal((await store.stats()).passthrough.explain, 2, 'both passed through, reason counted');
});
