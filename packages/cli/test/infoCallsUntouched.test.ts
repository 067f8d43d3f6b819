import t from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, runOnPipes, Store, tempDir } from './helpers.js';

// Calls of rustc that compile nothing from files (its version and help, `--print` in either
// spelling, a crate read from stdin) go straight to rustc from bin/splitcache: no node starts,
// and no daemon, and the store is not touched (no directory made, nothing counted). cargo makes
// such calls as it starts (`rustc - --crate-name ___ --print=file-names …`), and so do other tools
// (`rustc --print sysroot`). Only `rustc -vV` alone starts the daemon, by design (bin/splitcache).

t.test('calls that compile nothing run as plain rustc, and make no store dir and start no daemon', async (t) => {
  const store = new Store(join(tempDir('untouched'), 'store'));
  t.teardown(() => (existsSync(store.dir) ? store.stop() : undefined));
  const out = tempDir('untouched-out');
  const calls = [
    ['--print', 'sysroot'],
    ['--print=cfg'],
    ['--print', 'crate-name', '-'],
    ['--version'],
    ['-V'],
    ['--help'],
    ['-', '--crate-type', 'lib', '--crate-name', 'stdin_crate', '--emit=metadata', '--out-dir', out],
  ];
  for (const args of calls) {
    const plain = await runOnPipes('rustc', args);
    const wrapped = await runOnPipes(BIN, ['rustc', ...args], { env: store.env() });
    t.same({ code: wrapped.code, stdout: wrapped.stdout, stderr: wrapped.stderr }, { code: plain.code, stdout: plain.stdout, stderr: plain.stderr }, `rustc ${args.join(' ')}: as plain rustc`);
    t.notOk(existsSync(store.dir), `rustc ${args.join(' ')}: no store dir made, no daemon started`);
  }
});
