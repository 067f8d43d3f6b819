import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, BIN, oneFileCrate, printingCrateArgs, realRustc, run, Store } from './helpers.js';

// rustc expands every argument that starts with `@` into the lines of that file before it reads its
// options, a flag's value too: `--cfg @cfg.txt` is the cfg the file names (rustc 1.95 checked). The
// parser took `@cfg.txt` for the value of --cfg, and the call was keyed by that text and never by
// the file: after the file changed, a call hit with the other cfg's binary.
t.test('an @file given as a flag\'s value is an argfile: the call runs plainly, and the file\'s edit is seen', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const rustc = await realRustc();
  const cwd = oneFileCrate('fn main() {\n    #[cfg(one)]\n    println!("one");\n    #[cfg(two)]\n    println!("two");\n}\n', 'argfile-value');
  const build = async (cfg: string, session: string) => {
    writeFileSync(join(cwd, 'cfg.txt'), `${cfg}\n`);
    const r = await run(BIN, [rustc, ...printingCrateArgs(cwd), '--cfg', '@cfg.txt'], { cwd, env: store.env({ SPLITCACHE_SESSION: session }) });
    assertOk(t, r, `a build with --cfg @cfg.txt naming ${cfg}`);
    const calls = (await store.audit(session)).map((e) => `${e.outcome}${e.reason ? `:${e.reason}` : ''}`);
    return { printed: (await run(join(cwd, 'out', 'trial-t'), [])).stdout, calls };
  };
  t.same(await build('one', 'one'), { printed: 'one\n', calls: ['passthrough:argfile'] }, 'the cfg the file names, run plainly');
  t.same(await build('two', 'two'), { printed: 'two\n', calls: ['passthrough:argfile'] }, 'the file changed: the new cfg (before: a hit printing one)');
});
