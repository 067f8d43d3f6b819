import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeRunsDir, openRunsDir } from '../src/runsDir.js';

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
