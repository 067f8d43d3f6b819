import t from 'tap';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { alive, BIN, printingCrate, printingCrateArgs, run, Store, tempDir, waitFor } from './helpers.js';

// A daemon stopping (a SIGTERM) waits for the calls in hand; a second SIGTERM meanwhile ends it at
// once, as `kill -9` would. Before, one held up by a call outlived any number of them (a hunting
// helper's daemon, held by a lookup that never ended, was alive 35 s after one).
t.test('a second SIGTERM ends a daemon that waits for a call in hand', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  t.equal((await store.splitcache(['server', 'start'])).code, 0, 'the daemon starts');
  const pid = store.daemonPid();
  const bin = tempDir('linker');
  const hold = join(bin, 'hold');
  const linker = join(bin, 'slow-cc');
  // The link step waits while `hold` is there: the call is in hand all that time.
  writeFileSync(linker, `#!/bin/sh\nwhile [ -e '${hold}' ]; do sleep 0.1; done\nexec cc "$@"\n`, { mode: 0o755 });
  writeFileSync(hold, '');
  t.teardown(() => rmSync(hold, { force: true }));
  const cwd = printingCrate('held');
  const linking = join(cwd, 'out');
  const call = run(BIN, ['rustc', ...printingCrateArgs(cwd), '-C', `linker=${linker}`], { cwd, env: store.env() });
  // The -Zno-link half has written its .rlink: the link step runs.
  t.ok(await waitFor(() => existsSync(linking) && readdirSync(linking).some((f) => f.endsWith('.rlink')), 30_000), 'the call reaches its link step');
  process.kill(pid, 'SIGTERM');
  await new Promise((r) => setTimeout(r, 1000));
  t.ok(alive(pid), 'after one SIGTERM it waits for the call in hand');
  process.kill(pid, 'SIGTERM');
  t.ok(await waitFor(() => !alive(pid), 3000), 'a second ends it');
  t.match(store.daemonLog(), /a SIGTERM while stopping: exiting now, with \d+ call\(s\) in hand/, 'saying so in its log');
  rmSync(hold);
  const r = await call;
  t.equal(r.code, 0, `and the call still builds: ${r.stderr}`);
  t.equal((await run(join(cwd, 'out', 'trial-t'), [])).stdout, 'held\n', 'its binary is right');
});

