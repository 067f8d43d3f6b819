/**
 * A store dir that other users may write: one a group shares (setgid, umask 002), or one made
 * under umask 000. Whatever they put there, nothing of theirs runs as this user, and nothing
 * of this user's daemon answers them (a hunting helper's two repros). The other user is uid
 * 65534 (nobody), which needs root to act as. The socket's own mode: daemon/test/socketMode.test.ts.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { runningDaemonPid } from '@splitcache/daemon/protocol';
import { BIN, printingCrate, printingCrateArgs, runOnPipes, Store } from './helpers.js';

const NOBODY = 65534;
const root = process.getuid?.() === 0;
const skip = !root && 'needs root, to give a file to another user';

t.test("an exec.port that is another user's is not taken: the call goes to this user's own daemon", { skip }, async (t) => {
  const store = new Store();
  chmodSync(store.dir, 0o777);
  t.teardown(() => store.stop());
  t.equal((await store.splitcache(['server', 'start'])).code, 0, 'the owner starts its daemon');
  // Theirs: a port they listen on, a token and a runs dir of their choosing.
  const seen: Socket[] = [];
  const theirs = createServer((c) => {
    seen.push(c);
    c.destroy();
  });
  await new Promise<void>((res) => theirs.listen(0, '127.0.0.1', () => res()));
  t.teardown(() => new Promise<void>((res) => theirs.close(() => res())));
  const planted = join(store.dir, 'planted');
  writeFileSync(planted, `${(theirs.address() as { port: number }).port} deadbeef /tmp\n`, { mode: 0o644 });
  chownSync(planted, NOBODY, NOBODY);
  renameSync(planted, join(store.dir, 'exec.port'));
  const cwd = printingCrate('own daemon');
  // On pipes, as cargo calls it: the exec port is for such calls alone.
  const r = await runOnPipes(BIN, ['rustc', ...printingCrateArgs(cwd)], { cwd, env: store.env() });
  t.equal(r.code, 0, `the call succeeds${r.stderr ? `: ${r.stderr}` : ''}`);
  t.equal(spawnSync(join(cwd, 'out', 'trial-t'), { encoding: 'utf8' }).stdout, 'own daemon\n', 'and its binary runs');
  t.equal(seen.length, 0, 'the port their exec.port names was never connected to (before: this user ran the rustc arguments it sent)');
  t.equal((await store.stats()).misses, 1, "the call reached this user's daemon");
});

t.test("a daemon.pid that is another user's names no daemon to signal", { skip }, async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  t.equal((await store.splitcache(['server', 'start'])).code, 0, 'a daemon runs');
  const pid = store.daemonPid();
  t.equal(runningDaemonPid(store.dir), pid, 'its own daemon.pid names it');
  chownSync(join(store.dir, 'daemon.pid'), NOBODY, NOBODY);
  t.equal(runningDaemonPid(store.dir), undefined, "once the file is another user's, it names none");
  t.equal(readFileSync(join(store.dir, 'daemon.pid'), 'utf8').trim(), String(pid));
  chownSync(join(store.dir, 'daemon.pid'), 0, 0);
});
