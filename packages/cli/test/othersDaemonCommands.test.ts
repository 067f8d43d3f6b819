/**
 * `splitcache server stop` and `server status` run by a user whose store's
 * daemon belongs to another user (a store shared between users, or another's
 * SPLITCACHE_DIR): they can't reach it, and must say so, not that no daemon
 * runs (commands/othersDaemon.ts). The other user is uid 65534 (nobody),
 * which needs root to run as.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { BIN, run, Store } from './helpers.js';

const NOBODY = 65534;
const root = process.getuid?.() === 0;
// The install must be readable by that user too (a clone under a private home is not).
const readable = root && spawnSync('test', ['-r', BIN], { uid: NOBODY, gid: NOBODY }).status === 0;

t.test('server stop and status as another user: they say whose daemon it is, and leave it running', { skip: !readable && (root ? `${BIN} is not readable by uid ${NOBODY}` : 'needs root, to run as another user') }, async (t) => {
  const store = new Store();
  chmodSync(store.dir, 0o755); // a store others may look into, as ~/.cache/splitcache under a home of mode 0755
  t.teardown(() => store.stop());
  t.equal((await store.splitcache(['server', 'start'])).code, 0, 'the owner starts its daemon');
  const pid = store.daemonPid();
  const asOther = (args: string[]) => spawnSync(BIN, args, { env: { ...store.env(), HOME: '/nonexistent' }, uid: NOBODY, gid: NOBODY, encoding: 'utf8' });
  for (const sub of ['stop', 'status']) {
    const r = asOther(['server', sub]);
    t.equal(r.status, 1, `server ${sub} fails`);
    t.notMatch(r.stdout, /not running/, `server ${sub} does not say that no daemon runs`);
    t.match(r.stderr, /^splitcache: SPLITCACHE_DAEMON_UNREACHABLE: \S+daemon\.sock belongs to uid 0, not to this user \(uid 65534\): its daemon can't be reached or stopped from here\n$/, `server ${sub} says whose it is, in one line`);
  }
  t.equal(store.daemonPid(), pid, 'the daemon still runs');
  const own = await run(BIN, ['server', 'status'], { env: store.env() });
  t.match(own.stdout, /splitcache daemon running/, 'and its owner still reaches it');
});
