import t from 'tap';
import { join } from 'node:path';
import { BIN, oneFileCrate, realRustc, run, Store } from './helpers.js';

// A user's `--remap-path-prefix=FROM=TO` whose TO names the checkout: rustc writes TO into file!(),
// panic locations and debuginfo (a wrong-hits sweep's, bench/sweep).
t.test('a --remap-path-prefix whose TO names the checkout: a second checkout\'s binary names its own', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const rustc = await realRustc();
  for (const round of ['first', 'second']) {
    const crate = oneFileCrate('fn main() { println!("{}", file!()); }\n');
    const args = ['--crate-name', 'mapped', '--edition=2021', 'src/main.rs', '--crate-type', 'bin', '--emit=dep-info,link', '--out-dir', join(crate, 'out'),
      `--remap-path-prefix=src=${crate}/mapped`];
    const r = await run(BIN, [rustc, ...args], { cwd: crate, env: store.env({ CARGO_MANIFEST_DIR: crate }) });
    t.equal(r.code, 0, `the ${round} checkout builds`);
    const ran = await run(join(crate, 'out/mapped'), [], { cwd: crate });
    t.equal(ran.stdout, `${crate}/mapped/main.rs\n`, `and its file!() names its own checkout, as plain rustc's (old code: the second hit and named the first)`);
  }
});
