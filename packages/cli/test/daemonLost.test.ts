import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { socketPath } from '@splitcache/daemon/protocol';
import { runningDaemonPid } from '../src/daemonPid.js';
import { Store, tempDir, waitFor } from './helpers.js';

// A daemon that dies while a subcommand waits for its answer: the command says
// so in one line with a code, and exits 1. It printed node's stack trace.

const COMMANDS = [['stats'], ['audit'], ['audit', 'verify'], ['gc'], ['explain', 'fx-util'], ['report', '--html', join(tempDir('report'), 'r.html')], ['server', 'status']];

/** Connections waiting on the socket `path`, not yet accepted (/proc/net/unix lists each under the path the listener was bound to: the daemon binds `<socket>.<pid>`, then renames it into place). */
function pending(path: string): number {
  return readFileSync('/proc/net/unix', 'utf8').split('\n').filter((l) => l.endsWith(` ${path}`)).length - 1;
}

t.test('each subcommand whose daemon dies before it answers: one SPLITCACHE_DAEMON_LOST line, exit 1, no stack', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  t.equal((await store.splitcache(['server', 'start'])).code, 0, 'the daemon starts');
  const pid = store.daemonPid();
  // Stopped, it accepts no connection: each command connects and sends its request, then waits.
  process.kill(pid, 'SIGSTOP');
  const socket = `${socketPath(store.dir)}.${pid}`;
  // A connection the daemon accepted before it stopped (`server start`'s, not yet closed) is listed
  // too: counted from here, or a command still starting (under load, in CI) was killed past, found
  // no daemon, and said so (`server status`: not running, exit 0).
  const before = pending(socket);
  // `server status` first, on its own: the one command that starts no daemon, so one not yet connected
  // when the count below was reached said `not running` (a clean-clone run under load, 2026-12-05).
  const status = COMMANDS.findIndex((a) => a[0] === 'server');
  const first = store.splitcache(COMMANDS[status]!);
  t.ok(await waitFor(() => pending(socket) >= before + 1, 8_000), 'server status is waiting on the daemon');
  const calls = COMMANDS.map((args, i) => (i === status ? first : store.splitcache(args)));
  t.ok(await waitFor(() => pending(socket) >= before + COMMANDS.length, 8_000), 'every command is waiting on the daemon');
  process.kill(pid, 'SIGKILL');
  const results = await Promise.all(calls);
  COMMANDS.forEach((args, i) => {
    const r = results[i]!;
    const line = args.join(' ').replace(/ --html .*/, ' --html …');
    t.equal(r.code, 1, `${line} exits 1`);
    t.equal(r.stderr, 'splitcache: SPLITCACHE_DAEMON_LOST: the daemon closed the connection before answering\n', `${line} says why in one line`);
    t.equal(r.stdout, '', `${line} prints nothing else`);
  });
  t.equal(runningDaemonPid(store.dir), undefined, 'the daemon is gone, and none started again');
});
