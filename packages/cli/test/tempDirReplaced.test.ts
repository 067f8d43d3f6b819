import t from 'tap';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { printingCrate, printingCrateArgs, realRustc, run, runOnPipes, BIN, Store } from './helpers.js';

// The store's temp dir (blobs/tmp) replaced by a file while its daemon runs: a miss of a crate
// that links can't stage its files there, nor store them, and says so in one line; the call
// builds. Before, the failed removal of its staging dir (ENOTDIR) failed the call's report, and
// its client said `SPLITCACHE_DAEMON_LOST: the daemon went away`, of a daemon still running.

t.test('blobs/tmp a file under a running daemon: one line naming the store fault, and the bin built', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const cwd = printingCrate('before');
  const rustc = await realRustc();
  const call = () => runOnPipes(BIN, [rustc, ...printingCrateArgs(cwd)], { cwd, env: store.env() });
  const first = await call();
  t.same([first.code, first.stderr], [0, ''], 'the first call builds silently');
  const tmp = join(store.dir, 'blobs', 'tmp');
  rmSync(tmp, { recursive: true, force: true });
  writeFileSync(tmp, 'not a dir');
  writeFileSync(join(cwd, 'src', 'main.rs'), 'fn main() { println!("after"); }\n');
  const r = await call();
  t.equal(r.code, 0, 'the call succeeds');
  const lines = r.stderr.split('\n').filter(Boolean);
  t.equal(lines.length, 1, `one line (${JSON.stringify(lines)})`);
  t.match(lines[0] ?? '', /^splitcache: SPLITCACHE_STORE_IO: cannot (write blob|store) .*ENOTDIR.* \(the result of trial is not stored; the build goes on\)$/, 'naming the store fault');
  t.equal((await run(join(cwd, 'out', 'trial-t'), [])).stdout, 'after\n', 'the binary is the new one');
});
