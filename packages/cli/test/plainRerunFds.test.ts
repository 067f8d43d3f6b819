import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, ON_PIPES, printingCrate, printingCrateArgs, run, Store, tempDir } from './helpers.js';

// A call whose daemon goes away under it runs rustc again, plainly (bin/splitcache's sc_plain).
// That rustc, and whatever it starts (the linker), must not hold the call's connection to the
// daemon (bash's exec-port TCP descriptor): a process left behind would keep it open past the
// call. It must still get cargo's jobserver descriptors, as a plain rustc does.

/**
 * A `rustc` that kills the store's daemon in its first `-Zno-link` run (and fails it), and in a
 * run with the call's own arguments (the plain rerun) lists its descriptors into `list`.
 */
function killingRustc(store: string): { rustc: string; list: string } {
  const dir = tempDir('rerun-rustc');
  const list = join(dir, 'fds');
  const rustc = join(dir, 'rustc');
  writeFileSync(
    rustc,
    `#!/bin/bash
case " $* " in
  *" -Zno-link "*) if [ ! -e '${dir}/killed' ]; then : >'${dir}/killed'; kill -KILL "$(cat '${store}/daemon.pid')"; exit 1; fi ;;
  *" -Zlink-only "* | *" @/dev/fd/"* | *" -vV "*) ;;
  *) find /proc/self/fd/ -mindepth 1 -printf '%f %l\\n' >'${list}.tmp'; mv '${list}.tmp' '${list}' ;;
esac
exec rustc "$@"
`,
    { mode: 0o755 },
  );
  return { rustc, list };
}

t.test("the plain rerun after the daemon went away: rustc gets the jobserver, not the exec port's connection", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  await store.splitcache(['server', 'start']);
  const { rustc, list } = killingRustc(store.dir);
  const fifo = join(tempDir('jobserver'), 'fifo');
  t.equal(spawnSync('mkfifo', [fifo]).status, 0, 'a FIFO for the jobserver');
  const jobserver = `exec 3<>"$0" 4<>"$0"; printf ab >&4; ${ON_PIPES}`;
  const cwd = printingCrate('rerun plainly');
  const r = await run('/bin/bash', ['-c', jobserver, fifo, BIN, rustc, ...printingCrateArgs(cwd)], {
    cwd,
    env: store.env({ CARGO_MAKEFLAGS: '-j2 --jobserver-fds=3,4 --jobserver-auth=3,4' }),
  });
  t.equal(r.code, 0, r.stderr);
  t.match(r.stderr, /SPLITCACHE_DAEMON_LOST/, 'the daemon went away, and the call built plainly');
  t.ok(existsSync(list), 'the plain rerun listed its descriptors');
  if (!existsSync(list)) return;
  const fds = new Map(readFileSync(list, 'utf8').trim().split('\n').map((l) => l.split(' ', 2) as [string, string]));
  t.same([fds.get('3'), fds.get('4')], [fifo, fifo], "cargo's jobserver, at fds 3 and 4, reached it");
  const sockets = [...fds].filter(([, target]) => target.startsWith('socket:'));
  t.same(sockets, [], 'and no socket did: not the connection to the daemon');
});
