import t from 'tap';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, printingCrate, printingCrateArgs, run, Store, tempDir, waitFor } from './helpers.js';

// A daemon that owes the node client a reply says `alive` every second meanwhile (daemonConnection.ts
// takes those frames for beats, never for the reply). One such wait: a call whose key another call is
// compiling waits for that compile, then is served from it.

t.test('a node client call that waits on another call of the same key hears `alive` frames, and is served, saying nothing', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  await store.splitcache(['server', 'start']);
  // A rustc that, for its first compile, sleeps 4 s first (and says so in a file).
  const dir = tempDir('slow-once');
  const once = join(dir, 'slept');
  const rustc = join(dir, 'rustc');
  writeFileSync(rustc, `#!/bin/sh\ncase " $* " in *" --crate-name "*) if [ ! -e '${once}' ]; then echo $$ > '${once}'; sleep 4; fi ;; esac\nexec rustc "$@"\n`, { mode: 0o755 });
  const cwd = printingCrate('waited on');
  // run(): node's stdio are socket pairs, which the exec port declines: both calls take the node client.
  const env = store.env({ SPLITCACHE_CLIENT: 'node' });
  const first = run(BIN, [rustc, ...printingCrateArgs(cwd)], { cwd, env });
  t.ok(await waitFor(() => existsSync(once) && readFileSync(once, 'utf8').endsWith('\n'), 20_000), 'the first call compiles');
  // The same crate in another directory (the same key): its outputs go there, apart from the first's.
  const other = printingCrate('waited on');
  const second = await run(BIN, [rustc, ...printingCrateArgs(other)], { cwd: other, env });
  const a = await first;
  t.equal(a.code, 0, 'the first call succeeds');
  t.equal(second.code, 0, 'so does the second');
  t.equal(second.stderr, '', 'and it says nothing (it did not take a beat for its reply)');
  const outcomes = (await store.calls()).map((e) => e.outcome).sort();
  t.same(outcomes, ['hit', 'miss'], 'the second was served from the first');
});
