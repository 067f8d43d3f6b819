import t from 'tap';
import { spawn } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDaemonProcess, runningDaemonPid } from '../src/daemonProcess.js';

// daemon.pid may be stale: its pid reused by another process since, a node program among them. The
// pid it names is signalled (`server stop`'s fallback, a hung daemon's end, an earlier install's
// daemon asked to stop) only if that process runs a splitcache daemon's entry file, and only if
// the file is this user's.

const root = mkdtempSync(join(tmpdir(), 'daemon-process-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));

/** A node process running `file` (made, idle), ended with the test. */
function running(file: string): Promise<number> {
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, 'setInterval(() => {}, 1000);\n');
  const child = spawn(process.execPath, [file], { stdio: 'ignore' });
  t.teardown(() => void child.kill());
  // Its command line is node's own until exec has happened: the test waits for it to name the file.
  return new Promise((res) => {
    const look = () => (isDaemonProcess(child.pid!) || Date.now() - began > 3000 ? res(child.pid!) : setTimeout(look, 20));
    const began = Date.now();
    setTimeout(look, 100);
  });
}

t.test("a daemon's entry file names a daemon; another program's main.js does not", async (t) => {
  const daemon = await running(join(root, 'install', 'packages', 'daemon', 'dist', 'bundle', 'main.cjs'));
  const other = await running(join(root, 'webapp', 'dist', 'main.js'));
  t.ok(isDaemonProcess(daemon), 'a daemon');
  t.notOk(isDaemonProcess(other), "another node program's main.js");
  t.notOk(isDaemonProcess(2 ** 22 + 1), 'no such process');

  const store = join(root, 'store');
  mkdirSync(store);
  const pidFile = join(store, 'daemon.pid');
  writeFileSync(pidFile, `${daemon}\n`);
  t.equal(runningDaemonPid(store), daemon, 'daemon.pid naming the daemon');
  writeFileSync(pidFile, `${other}\n`);
  t.equal(runningDaemonPid(store), undefined, 'naming another program (a pid reused)');
  for (const text of ['', '0', '1', '-1', 'x']) {
    writeFileSync(pidFile, text);
    t.equal(runningDaemonPid(store), undefined, `naming ${JSON.stringify(text)}`);
  }
  if (process.getuid?.() === 0) {
    writeFileSync(pidFile, `${daemon}\n`);
    chownSync(pidFile, 4711, 4711);
    t.equal(runningDaemonPid(store), undefined, "another user's daemon.pid, even naming a daemon of this user's");
  }
});
