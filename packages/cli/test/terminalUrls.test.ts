import t from 'tap';
import { BIN, oneFileCrate, realRustc, run, Store } from './helpers.js';

// `-Z terminal-urls=auto` links error codes in diagnostics only where COLORTERM=truecolor and
// TERM=xterm-256color (a wrong-hits sweep's, bench/sweep): a result serves only the environment
// whose answer it was rendered with, as plain rustc would render it.
t.test('-Z terminal-urls=auto: a crate stored without links misses in a terminal that gets them, and the reverse', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const rustc = await realRustc();
  // edition 2024 warns with an error code: warning[E0133], an unsafe operation in an unsafe fn.
  const crate = oneFileCrate('pub unsafe fn read(p: *const u8) -> u8 { *p }\n');
  const args = ['--crate-name', 'urls', '--edition=2024', 'src/main.rs', '--crate-type', 'lib', '--emit=dep-info,metadata,link', '--error-format=json',
    '--json=diagnostic-rendered-ansi,artifacts', '-Z', 'terminal-urls=auto', '--out-dir', `${crate}/out`];
  const linking = { RUSTC_BOOTSTRAP: '1', COLORTERM: 'truecolor', TERM: 'xterm-256color' };
  const plain = { RUSTC_BOOTSTRAP: '1', COLORTERM: '', TERM: 'dumb' };
  // As JSON's `rendered` spells the escape.
  const link = '\\u001b]8;;https://doc.rust-lang.org/error_codes/E0133.html';
  const plainLinked = await run(rustc, args, { cwd: crate, env: { ...process.env, ...linking } });
  t.ok(plainLinked.code === 0 && plainLinked.stderr.includes(link), 'plain rustc links E0133 there');
  const plainBare = await run(rustc, args, { cwd: crate, env: { ...process.env, ...plain } });
  t.ok(plainBare.code === 0 && !plainBare.stderr.includes(']8;;'), 'and not elsewhere');
  for (const [round, env, expected] of [['bare', plain, false], ['linking', linking, true], ['bare again', plain, false], ['linking again', linking, true]] as const) {
    const r = await run(BIN, [rustc, ...args], { cwd: crate, env: store.env(env) });
    t.equal(r.code, 0, `the ${round} call builds`);
    t.equal(r.stderr.includes(link), expected, `and its warning ${expected ? 'links' : 'does not link'} E0133, as plain rustc's (old code: the linking call hit the bare result)`);
  }
  t.same((await store.audit()).map((e) => e.outcome), ['miss', 'miss', 'hit', 'hit'], 'each environment hits its own result');
});
