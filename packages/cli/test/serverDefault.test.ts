import t from 'tap';
import { alive, assertOk, Store } from './helpers.js';

// `splitcache server` with no subcommand is `server status` (its --help: "status … (the
// default)"): it says whether the daemon runs, and leaves it running. Taken for another
// subcommand, a look at the daemon would stop it, or start one.

t.test('`splitcache server` alone says whether the daemon runs, and leaves it as it was', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const none = await store.splitcache(['server']);
  t.same([none.code, none.stdout], [0, 'splitcache daemon not running\n'], 'with none running: not running');
  t.throws(() => store.daemonPid(), 'and none was started');
  assertOk(t, await store.splitcache(['server', 'start']), 'a daemon is started');
  const pid = store.daemonPid();
  const running = await store.splitcache(['server']);
  t.equal(running.code, 0, running.stderr);
  t.match(running.stdout, new RegExp(`^splitcache daemon running \\(pid ${pid}, store `), 'with one running: running, and its pid');
  t.ok(alive(pid), 'and it still runs');
  t.equal(store.daemonPid(), pid, 'the same daemon');
});
