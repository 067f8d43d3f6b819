import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, printingCrate, printingCrateArgs, realRustc, run, runOnPipes, Store, tempDir, timingLines } from './helpers.js';

// A rustc that leaves a process behind, which writes to rustc's stderr after rustc has exited (a
// user's RUSTC wrapper that backgrounds a job, a proc-macro's child). On a miss, that stderr is the
// call's own connection to the daemon (execCall.ts): the late bytes came after the run's answer,
// and were taken for the next run's answer, which failed the call (`SPLITCACHE_EXEC_CALLER` in
// daemon.log; the call built uncached, saying `SPLITCACHE_DAEMON_LOST`; a review helper's repro).
// They are stderr, relayed to the caller as rustc's own would be.
t.test('stderr that a process rustc left behind writes during the link: relayed, and the call cached', async (t) => {
  const real = await realRustc();
  const store = new Store();
  t.teardown(() => store.stop());
  t.equal((await store.splitcache(['server', 'start'])).code, 0, 'the daemon starts');
  const bin = tempDir('rustc');
  const rustc = join(bin, 'rustc');
  const linker = join(bin, 'slow-cc');
  // The -Zno-link half (a tee run) leaves a job that writes 0.3 s after rustc's exit, after the
  // run's answer; the link step, which comes next, takes 2 s.
  writeFileSync(rustc, `#!/bin/sh\ncase " $* " in *" -Zno-link "*) '${real}' "$@"; rc=$?; (sleep 0.3; echo late-stderr-from-a-child >&2) & exit $rc ;; esac\nexec '${real}' "$@"\n`, { mode: 0o755 });
  writeFileSync(linker, '#!/bin/sh\nsleep 2\nexec cc "$@"\n', { mode: 0o755 });
  const log = join(tempDir('timing'), 'calls.jsonl');
  const env = store.env({ SPLITCACHE_TIMING_LOG: log });
  const call = async (text: string) => {
    const cwd = printingCrate(text);
    const r = await runOnPipes(BIN, [rustc, ...printingCrateArgs(cwd), '-C', `linker=${linker}`], { cwd, env });
    t.equal(r.code, 0, `the call builds: ${r.stderr}`);
    t.notMatch(r.stderr, /splitcache:/, 'and says nothing of splitcache');
    t.equal((await run(join(cwd, 'out', 'trial-t'), [])).stdout, `${text}\n`, 'its binary is right');
    return r;
  };
  const miss = await call('left behind');
  t.match(miss.stderr, /late-stderr-from-a-child/, 'the late line reached the caller');
  await call('left behind');
  t.same(timingLines(log).map((c) => c.client ?? 'node'), ['exec', 'exec'], 'both calls through the exec port');
  const s = await store.stats();
  t.same([s.misses, s.hits], [1, 1], 'the miss was stored, and the next call hit');
  t.same(s.notStored, {}, 'nothing left unstored');
});
