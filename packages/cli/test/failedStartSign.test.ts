/**
 * A daemon that can't start leaves a note saying why, and for 10 s the calls build uncached at
 * once instead of starting another. bin/splitcache, which starts the daemon itself where there is
 * no socket, never looked at that note (the temp dir's is named by a digest of the store's path):
 * each compiling call of a build started one more daemon that failed again. The failing daemon
 * now leaves a sign in the store dir too (daemon.start-failed, this user's), and bin/splitcache
 * leaves the start to the node client while it is there (protocol.ts, writeStartFailed).
 */
import t, { type Test } from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFailedPaths } from '@splitcache/daemon/protocol';
import { BIN, copyFixture, OTHER_UID, otherUidDir, otherUidToolchain, printingCrate, printingCrateArgs, run, Store } from './helpers.js';

const toolchain = await otherUidToolchain();

t.test("a cargo build as another user on a group's store its daemon can't open: one daemon start, built uncached with one line", { skip: !toolchain && 'needs root, a uid with no passwd entry, and a toolchain it can run' }, async (t) => {
  // The owner made the store under umask 000, as a group's members share one: the other user may
  // write the store dir, but its daemon can't open the owner's index (SPLITCACHE_STORE_ACCESS).
  const store = new Store();
  chmodSync(store.dir, 0o777);
  t.equal((await run('/bin/sh', ['-c', 'umask 000; "$0" server start && "$0" server stop', BIN], { env: store.env() })).code, 0, "the owner's daemon started and stopped");
  const ws = copyFixture(otherUidDir('ws'));
  spawnSync('chown', ['-R', `${OTHER_UID}:${OTHER_UID}`, ws]);
  const tmp = otherUidDir('tmp');
  const home = otherUidDir('home');
  const env = {
    PATH: `${join(toolchain!, 'bin')}:${join(process.execPath, '..')}:/usr/bin:/bin`,
    HOME: home,
    CARGO_HOME: join(home, '.cargo'),
    TMPDIR: tmp,
    SPLITCACHE_DIR: store.dir,
    RUSTC_WRAPPER: BIN,
    CARGO_INCREMENTAL: '0',
    CARGO_TERM_COLOR: 'never',
  };
  // The notes are kept new while the build runs, so that all of its calls fall in the 10 s after
  // the failure however slow this machine is: past it, one more start is due (the node client's).
  const userTmp = join(tmp, `splitcache-${OTHER_UID}`);
  const notes = () => [join(store.dir, 'daemon.start-failed'), ...readdirSync(userTmp).filter((n) => n.endsWith('.start-failed')).map((n) => join(userTmp, n))];
  const fresh = setInterval(() => {
    try {
      for (const note of notes()) utimesSync(note, new Date(), new Date());
    } catch {
      /* not written yet */
    }
  }, 100);
  const build = spawn('cargo', ['build', '--offline'], { cwd: ws, env, uid: OTHER_UID, gid: OTHER_UID, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  build.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((res) => build.on('close', res));
  clearInterval(fresh);
  t.equal(code, 0, 'the build succeeds');
  t.equal(spawnSync(join(ws, 'target', 'debug', 'fx-app'), { encoding: 'utf8' }).status, 0, 'its binary runs');
  const starts = store.daemonLog().split('\n').filter((l) => /SPLITCACHE_STORE_ACCESS: .*; not listening$/.test(l));
  t.equal(starts.length, 1, `one daemon started, and failed (${starts.length} did)`);
  const lines = stderr.split('\n').filter((l) => l.startsWith('splitcache:'));
  t.equal(lines.length, 1, `one line says why: ${lines.join(' | ')}`);
  t.match(lines[0] ?? '', /^splitcache: SPLITCACHE_DAEMON_UNREACHABLE: the daemon failed to start: SPLITCACHE_STORE_ACCESS: store \S+ is not writable by this user[^\n]*\(building uncached\)$/, 'naming the store it could not write');
  const [sign, note] = notes().map((f) => (existsSync(f) ? readFileSync(f, 'utf8') : 'none'));
  t.equal(sign, note, 'the store dir holds the same reason as the temp dir');
});

/** Both start notes written with `reason` and dated `at`; then a call, which must start its daemon, silently, and be served. */
async function callAfterNotesDated(t: Test, at: Date, reason: string, text: string): Promise<void> {
  const store = new Store();
  t.teardown(() => store.stop());
  const [temp, inStore] = startFailedPaths(store.dir);
  t.teardown(() => void spawnSync('rm', ['-f', temp!]));
  for (const note of [temp!, inStore!]) {
    writeFileSync(note, `${reason}\n`);
    utimesSync(note, at, at);
  }
  const cwd = printingCrate(text);
  const r = await run(BIN, ['rustc', ...printingCrateArgs(cwd)], { cwd, env: store.env() });
  t.equal(r.code, 0, 'the call succeeds');
  t.equal(r.stderr, '', 'silently: its daemon started');
  t.equal((await store.stats()).misses, 1, 'and served it');
  t.notOk(existsSync(inStore!), "the store dir's note is gone");
}

t.test('a note from a failed start long ago holds no start back, and the daemon that listens removes the store dir\'s', (t) =>
  callAfterNotesDated(t, new Date(Date.now() - 3600_000), 'SPLITCACHE_STORE_ACCESS: an old reason', 'long after'));

// Written an hour "later" than now: before, it read as a failure of the last 10 s for that hour.
t.test('a note dated ahead of the clock (the clock stepped back after the failure) holds no start back', (t) =>
  callAfterNotesDated(t, new Date(Date.now() + 3600_000), 'SPLITCACHE_STORE_ACCESS: a reason from before the clock step', 'clock stepped back'));

// The store dir's note may be another user's, in a store a group shares: that user's daemon could not
// open the store, which is no reason for this user's. Taken as this user's, each call of the next 10 s
// built uncached and said the other user's reason.
t.test("another user's fresh note in the store dir holds none of this user's starts back", { skip: process.getuid?.() !== 0 && 'needs root to give the note to another uid' }, async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const [temp, inStore] = startFailedPaths(store.dir);
  t.teardown(() => void spawnSync('rm', ['-f', temp!]));
  writeFileSync(inStore!, "SPLITCACHE_STORE_ACCESS: another user's reason\n");
  chownSync(inStore!, OTHER_UID, OTHER_UID);
  const r = await store.splitcache(['server', 'start']);
  t.equal(r.code, 0, 'the daemon starts');
  t.notMatch(r.stderr, /another user's reason/, "and nothing is said of the other user's reason");
  t.equal((await store.stats()).misses, 0, 'it answers');
});

// A fault's line is said once a minute (client.ts, warnOnce): a marker older than that is no reason to
// keep still. Were it taken as one a call made at once (made exclusively, it exists), no build after
// the first minute said why it built uncached.
t.test('a fault said over a minute ago is said again, once', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const [temp, inStore] = startFailedPaths(store.dir);
  const marker = temp!.replace(/start-failed$/, 'warned-SPLITCACHE_DAEMON_UNREACHABLE');
  t.teardown(() => void spawnSync('rm', ['-f', temp!, marker]));
  for (const note of [temp!, inStore!]) writeFileSync(note, 'SPLITCACHE_STORE_ACCESS: a reason of now\n');
  writeFileSync(marker, '');
  const twoMinutesAgo = new Date(Date.now() - 120_000);
  utimesSync(marker, twoMinutesAgo, twoMinutesAgo);
  const cwd = printingCrate('said again');
  const r = await run(BIN, ['rustc', ...printingCrateArgs(cwd)], { cwd, env: store.env() });
  t.equal(r.code, 0, 'the call succeeds, uncached');
  t.match(r.stderr, /^splitcache: SPLITCACHE_DAEMON_UNREACHABLE: .*a reason of now.*\(building uncached\)$/m, 'and says why');
  const again = await run(BIN, ['rustc', ...printingCrateArgs(cwd)], { cwd, env: store.env() });
  t.equal(again.code, 0, 'so does the next');
  t.equal(again.stderr, '', 'which, within the minute, says nothing');
});
