/**
 * A store shared by users of a group (a SPLITCACHE_DIR that others can write):
 * it is served by the first user's daemon, whose socket (mode 0600) the others
 * can't open. Another user's call must build uncached, saying why, and leave
 * that daemon's socket alone (daemon/src/socketOwner.ts). The other user is
 * uid 65534 (nobody), which needs root to run as.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, printingCrate, printingCrateArgs, run, runOnPipes, Store, tempDir } from './helpers.js';

const NOBODY = 65534;
const root = process.getuid?.() === 0;
// The install must be readable by that user too (a clone under a private home is not).
const readable = root && spawnSync('test', ['-r', BIN], { uid: NOBODY, gid: NOBODY }).status === 0;

/** A call on `store` as the other user, of a stand-in rustc both users can run (the real one may sit under root's home). */
function callAsNobody(store: Store) {
  const tools = tempDir('tools');
  chmodSync(tools, 0o755);
  const rustc = join(tools, 'rustc');
  writeFileSync(rustc, '#!/bin/sh\necho "ran $# args"\n', { mode: 0o755 });
  const cwd = tempDir('theirs');
  mkdirSync(join(cwd, 'out'));
  chmodSync(cwd, 0o777);
  return spawnSync(BIN, [rustc, '--crate-name', 'theirs', '--edition=2021', 'src/main.rs', '--crate-type', 'bin', '--emit=dep-info,link', '--out-dir', join(cwd, 'out')], {
    cwd,
    env: { ...store.env(), HOME: '/nonexistent', TMPDIR: cwd },
    uid: NOBODY,
    gid: NOBODY,
    encoding: 'utf8',
  });
}

t.test("another user's call on a shared store: built uncached with one line, and the owner's daemon keeps its socket", { skip: !readable && (root ? `${BIN} is not readable by uid ${NOBODY}` : 'needs root, to run as another user') }, async (t) => {
  const store = new Store();
  chmodSync(store.dir, 0o777); // writable by the group, as a shared store's dir is (here by all)
  t.teardown(() => store.stop());
  // Under umask 0, as a group's members share a store under umask 002: its files are writable by the others.
  t.equal((await run('/bin/sh', ['-c', 'umask 000; exec "$0" server start', BIN], { env: store.env() })).code, 0, "the owner's daemon starts");
  const pid = store.daemonPid();
  const sock = join(store.dir, 'daemon.sock');

  const r = callAsNobody(store);
  t.equal(r.status, 0, 'the call succeeds');
  t.equal(r.stdout, 'ran 9 args\n', 'its rustc ran as called');
  t.match(r.stderr, /^splitcache: SPLITCACHE_DAEMON_UNREACHABLE: \S+daemon\.sock belongs to uid 0, not to this user \(uid 65534\): that user's daemon serves this store, and a store is served to one user only \(building uncached\)\n$/, 'one line says why');
  t.equal(lstatSync(sock).uid, 0, "the socket is still the owner's");
  const own = await run(BIN, ['server', 'status'], { env: store.env() });
  t.equal(own.stdout, `splitcache daemon running (pid ${pid}, store ${store.dir})\n`, "the owner still reaches its daemon, whose store is open");
});

t.test("root's call on another user's store (a sudo that kept the user's HOME): that user's daemon gets nothing of it", { skip: !readable && (root ? `${BIN} is not readable by uid ${NOBODY}` : 'needs root, to run as another user') }, async (t) => {
  const store = new Store();
  chownSync(store.dir, NOBODY, NOBODY);
  chmodSync(store.dir, 0o755);
  const asOwner = (args: string[]) => spawnSync(BIN, args, { env: { ...store.env(), HOME: '/nonexistent' }, uid: NOBODY, gid: NOBODY, encoding: 'utf8' });
  t.teardown(() => void asOwner(['server', 'stop']));
  t.equal(asOwner(['server', 'start']).status, 0, "the owner's daemon starts");
  // On pipes, as cargo runs it (root can read the owner's exec.port: the daemon declines root's pid there), and through the node client.
  for (const how of ['exec port', 'node client'] as const) {
    const cwd = printingCrate(`root's ${how}`);
    const env = store.env(how === 'node client' ? { SPLITCACHE_CLIENT: 'node' } : {});
    const r = await runOnPipes(BIN, ['rustc', ...printingCrateArgs(cwd)], { cwd, env });
    t.equal(r.code, 0, `${how}: the call succeeds`);
    t.equal(spawnSync(join(cwd, 'out', 'trial-t'), { encoding: 'utf8' }).stdout, `root's ${how}\n`, `${how}: with the right binary`);
    t.match(r.stderr, /^splitcache: SPLITCACHE_DAEMON_UNREACHABLE: \S+daemon\.sock belongs to uid 65534, not to this user \(uid 0\)[^\n]*\(building uncached\)\n$|^$/, `${how}: at most one line, saying why`);
  }
  const audit = asOwner(['audit', '--json']);
  t.equal(audit.status, 0, "the owner reads its audit log");
  t.equal(audit.stdout, '', "which has no call of root's: its daemon got none");
});

t.test('another user first on a shared store whose daemon is stopped: their call builds uncached, and the owner then gets its daemon', { skip: !readable && (root ? `${BIN} is not readable by uid ${NOBODY}` : 'needs root, to run as another user') }, async (t) => {
  const store = new Store();
  chmodSync(store.dir, 0o777);
  t.teardown(() => store.stop());
  t.equal((await run('/bin/sh', ['-c', 'umask 000; exec "$0" server start', BIN], { env: store.env() })).code, 0, "the owner's daemon starts");
  await store.stop();
  const r = callAsNobody(store);
  t.equal(r.status, 0, "the other user's call succeeds");
  t.equal(r.stdout, 'ran 9 args\n', 'its rustc ran as called');
  t.match(r.stderr, /^splitcache: [^\n]*SPLITCACHE_STORE_ACCESS: store \S+ is not writable by this user[^\n]*\n$/, 'one line says why it built uncached');
  const cwd = printingCrate('the owner again');
  const own = await run(BIN, ['rustc', ...printingCrateArgs(cwd)], { cwd, env: store.env() });
  t.equal(own.code, 0, "the owner's call succeeds");
  t.equal(own.stderr, '', 'silently: its own daemon serves it');
  t.equal(lstatSync(join(store.dir, 'daemon.sock')).uid, 0, "the socket is the owner's");
  t.equal((await store.stats()).misses, 1, 'and counted its call');
});

// A group's store whose owner made it under umask 022, the owner's daemon since stopped: the
// other user can't append to its daemon.log, so no daemon of theirs can start. The start used
// to die after taking the spawn lock, leaving it with no pid: each call waited 5 s on it (20 s
// for the fixture), said only that no daemon answered, and the owner's next call waited too.
t.test("another user on a shared store whose daemon.log is the owner's: uncached at once, the reason named, no lock left", { skip: !readable && (root ? `${BIN} is not readable by uid ${NOBODY}` : 'needs root, to run as another user') }, async (t) => {
  const store = new Store();
  chmodSync(store.dir, 0o777);
  t.teardown(() => store.stop());
  t.equal((await run('/bin/sh', ['-c', 'umask 022; exec "$0" server start', BIN], { env: store.env() })).code, 0, "the owner's daemon starts");
  await store.stop();
  for (const which of ['first', 'second']) {
    const r = callAsNobody(store);
    t.equal(r.status, 0, `the other user's ${which} call succeeds`);
    t.equal(r.stdout, 'ran 9 args\n', 'its rustc ran as called');
    t.match(r.stderr, /^splitcache: SPLITCACHE_DAEMON_UNREACHABLE: [^\n]*daemon\.log is not writable by this user[^\n]*\n$/, `${which}: one line names the log`);
    t.notOk(existsSync(join(store.dir, 'daemon.starting')), `${which}: no spawn lock is left behind`);
  }
});

// Root on a store another user owns, whose daemon is stopped (a `sudo cargo build` that kept the
// user's SPLITCACHE_DIR or HOME): root's daemon started there and wrote root's files, shard dirs
// among them, and the owner could never store a crate whose blobs fell in one (10 of grep's 72).
t.test("root's call on another user's store whose daemon is stopped: uncached, and nothing of root's is written there", { skip: !readable && (root ? `${BIN} is not readable by uid ${NOBODY}` : 'needs root, to run as another user') }, async (t) => {
  const store = new Store();
  chownSync(store.dir, NOBODY, NOBODY);
  chmodSync(store.dir, 0o755);
  const asOwner = (args: string[]) => spawnSync(BIN, args, { env: { ...store.env(), HOME: '/nonexistent' }, uid: NOBODY, gid: NOBODY, encoding: 'utf8' });
  t.equal(asOwner(['server', 'start']).status, 0, "the owner's daemon starts");
  t.equal(asOwner(['server', 'stop']).status, 0, 'and stops');
  for (const how of ['exec port', 'node client'] as const) {
    const cwd = printingCrate(`root's ${how}`);
    const r = await runOnPipes(BIN, ['rustc', ...printingCrateArgs(cwd)], { cwd, env: store.env(how === 'node client' ? { SPLITCACHE_CLIENT: 'node' } : {}) });
    t.equal(r.code, 0, `${how}: the call succeeds`);
    t.equal(spawnSync(join(cwd, 'out', 'trial-t'), { encoding: 'utf8' }).stdout, `root's ${how}\n`, `${how}: with the right binary`);
    t.match(r.stderr, /^splitcache: SPLITCACHE_DAEMON_UNREACHABLE: the store dir \S+ belongs to uid 65534, and root starts no daemon in another user's store[^\n]*\n$|^$/, `${how}: at most one line, saying why`);
  }
  const roots = spawnSync('find', [store.dir, '-uid', '0'], { encoding: 'utf8' }).stdout.trim();
  t.equal(roots, '', 'no file in the store is root\'s');
});
