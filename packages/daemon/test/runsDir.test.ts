import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeRunsDir, openRunsDir } from '../src/runsDir.js';
import { RunsHome } from '../src/runsHome.js';

// A daemon opening its runs dir on /dev/shm removes those of gone daemons of its pid namespace, and
// leaves those of live ones: another store's daemon of this user's (two checkouts, each with its
// own SPLITCACHE_DIR), whose call under way would lose its run's files and build uncached.

const ns = /^pid:\[(\d+)\]$/.exec(readlinkSync('/proc/self/ns/pid'))?.[1];
const uid = process.getuid?.();
const usable = ns !== undefined && uid !== undefined && existsSync('/dev/shm');

t.test("a live daemon's runs dir is left alone; a gone one's is removed", { skip: !usable && 'no /dev/shm or /proc here' }, async (t) => {
  const store = mkdtempSync(join(tmpdir(), 'runs-dir-'));
  t.teardown(() => rmSync(store, { recursive: true, force: true }));
  const live = spawn('sleep', ['60'], { stdio: 'ignore' });
  t.teardown(() => void live.kill());
  const gone = spawnSync('true').pid!;
  const dirOf = (pid: number) => `/dev/shm/splitcache-${uid}-${ns}-${pid}`;
  for (const pid of [live.pid!, gone]) mkdirSync(dirOf(pid), { mode: 0o700 });
  t.teardown(() => [live.pid!, gone].forEach((pid) => rmSync(dirOf(pid), { recursive: true, force: true })));
  const own = openRunsDir(store);
  t.teardown(() => closeRunsDir(own));
  t.equal(own, dirOf(process.pid), 'its own on /dev/shm');
  t.ok(existsSync(dirOf(live.pid!)), "the live daemon's kept");
  t.notOk(existsSync(dirOf(gone)), "the gone one's removed");
});

// Once /dev/shm is full the runs move to the store dir; a call begun before the move names its runs
// from the old dir, and one that finds that full too is told they have moved, once the move is made.
t.test('runs moved off a full /dev/shm: once, said once, and calls begun before are told they moved', { skip: !usable && 'no /dev/shm or /proc here' }, async (t) => {
  const store = mkdtempSync(join(tmpdir(), 'runs-home-'));
  t.teardown(() => rmSync(store, { recursive: true, force: true }));
  const announced: string[] = [];
  const home = new RunsHome(store, (dir) => announced.push(dir));
  t.teardown(() => home.close());
  const shm = home.dir;
  const before = Date.now() - 1000;
  const first = home.full(shm);
  t.same([first.moved, home.dir, announced], [true, join(store, 'runs'), [join(store, 'runs')]], 'moved to the store dir, and exec.port says so');
  t.match(first.line, /SPLITCACHE_EXEC_RUN: \/dev\/shm is full/, 'said to the call that moved them');
  t.same(home.full(shm), { moved: true }, 'a call begun before, finding the old dir full: moved, nothing said again');
  t.equal(home.dirFor(before), shm, 'a call begun before the move names its runs from the old dir');
  t.equal(home.dirFor(Date.now() + 1000), join(store, 'runs'), 'one begun after, from the new');
  t.same(home.full(join(store, 'runs')), { moved: false }, 'the store dir full too: nothing moves');
});
