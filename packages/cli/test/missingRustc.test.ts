import t from 'tap';
import { join } from 'node:path';
import { BIN, run, Store, tempDir } from './helpers.js';

// A rustc by a path that isn't there (`RUSTC=/opt/rust/bin/rustc` mistyped) is one line in
// splitcache's words, whichever way the call goes: a compile call said `splitcache: cannot run
// <path>: no such file`, but rustc's info calls (cargo's `-vV` probe, `-V`, `--print`) said bash's
// `…/bin/splitcache: line 224: <path>: No such file or directory`, naming the script's line.

t.test('a rustc that is not there: one line naming it, exit 127, whatever the call', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const rustc = join(tempDir('no-rustc'), 'bin', 'rustc');
  for (const args of [['-vV'], ['-V'], ['--print', 'sysroot'], ['--crate-name', 'x', '--crate-type', 'lib', 'src/lib.rs']]) {
    const r = await run(BIN, [rustc, ...args], { env: store.env() });
    t.equal(r.code, 127, `rustc ${args.join(' ')}: exit 127`);
    t.equal(r.stderr, `splitcache: cannot run ${rustc}: no such file\n`, `rustc ${args.join(' ')}: one line naming it`);
  }
  const off = await run(BIN, [rustc, '-vV'], { env: store.env({ SPLITCACHE_DISABLE: '1' }) });
  t.equal(off.stderr, `splitcache: cannot run ${rustc}: no such file\n`, 'and so with SPLITCACHE_DISABLE set');
});
