import t from 'tap';
import { BIN, oneFileCrate, printingCrateArgs, runOnPipes, Store } from './helpers.js';

// Bytes that are not UTF-8, in an argument or in an env var a crate reads: rustc refuses both.
// The daemon reads them with U+FFFD in their place: a `--cfg` holding one compiled (its halves
// ran with U+FFFD), and an env value holding one hit the entry of a real U+FFFD (a hunting
// helper's repro). Now such a call passes through, and such a value is keyed apart.
t.test('bytes that are not UTF-8 reach rustc as they are, as without splitcache', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  t.equal((await store.splitcache(['server', 'start'])).code, 0, 'the daemon starts (the exec port)');
  const cwd = oneFileCrate('fn main() { println!("{}", env!("FX_VAR")); }\n');
  const args = printingCrateArgs(cwd).map((a) => `'${a}'`).join(' ');
  // On pipes, as cargo gives them: the exec port (node's own stdio are sockets, which go to the node client).
  const call = (wrapped: boolean, env: string, extra = '') => runOnPipes('bash', ['-c', `${env} exec ${wrapped ? '"$0" ' : ''}rustc ${args} ${extra}`, BIN], { cwd, env: store.env() });
  const badArg = `--cfg $'feature="a\\xff"'`;
  const plainArg = await call(false, 'FX_VAR=x', badArg);
  t.not(plainArg.code, 0, `plain rustc refuses the argument: ${plainArg.stderr.slice(0, 200)}`);
  const arg = await call(true, 'FX_VAR=x', badArg);
  // Where rustc panics over it (a bare environment, as CI's), the line names its thread's id.
  const words = (stderr: string) => stderr.replace(/thread '([^']*)' \(\d+\)/g, "thread '$1'");
  t.same([arg.code, words(arg.stderr)], [plainArg.code, words(plainArg.stderr)], 'and so does a call through splitcache, in the same words');

  t.equal((await call(true, `FX_VAR=$'a\\xef\\xbf\\xbd'`)).code, 0, 'a value holding a real U+FFFD builds, and is stored');
  const plainEnv = await call(false, `FX_VAR=$'a\\xff'`);
  t.not(plainEnv.code, 0, `plain rustc refuses a value that is not UTF-8: ${plainEnv.stderr.slice(0, 200)}`);
  const env = await call(true, `FX_VAR=$'a\\xff'`);
  t.equal(env.code, plainEnv.code, `and so does a call through splitcache, no hit of the other: ${env.stderr.slice(0, 300)}`);
  const s = await store.stats();
  t.equal(s.hits, 0, 'nothing hit');
  t.equal(s.passthrough['not-utf8'], 1, 'the argument passed through, counted');
});
