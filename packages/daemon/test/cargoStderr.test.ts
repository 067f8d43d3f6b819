import t from 'tap';
import type { Test } from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cargoTerminalOf } from '../src/cargoStderr.js';

// A splitcache line goes to cargo's terminal only where the call's parent is cargo and cargo's
// stderr is a terminal: into a pipe (a CI log) it would split a diagnostic cargo writes in pieces.
// A copy of bash stands in for cargo (its process name is its file's name); it starts a child in a
// process group of its own (`set -m`), as a rustc under a cargo that is no group leader is.
// Asked to run something, not for its version: a container with no devpts mounted has script(1)
// (bsdutils, essential in Debian) but no pseudo-terminal to give it, and the tests failed there.
const skip = spawnSync('script', ['-qec', 'true', '/dev/null'], { stdio: 'ignore', timeout: 10_000 }).status === 0 ? false : 'no script(1), or no pseudo-terminal for it (devpts not mounted)';

const dir = mkdtempSync(join(tmpdir(), 'cargo-stderr-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
for (const name of ['cargo', 'cargo-1.95', 'make']) copyFileSync('/bin/bash', join(dir, name));

/** A child of `parent` (a bash copy) whose stderr is a terminal (under script) or a pipe: its pid, once it runs. */
async function childOf(t: Test, parent: string, terminal: boolean): Promise<number> {
  const command = `${join(dir, parent)} -c 'set -m; sleep 60 & echo "pid=$!"; wait'`;
  const child = terminal ? spawn('script', ['-qec', command, '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'] }) : spawn('/bin/sh', ['-c', `exec ${command}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const pid = await new Promise<number>((res, rej) => {
    child.stdout.setEncoding('latin1').on('data', (d: string) => {
      text += d;
      const m = /pid=(\d+)/.exec(text);
      if (m) res(Number(m[1]));
    });
    child.on('close', () => rej(new Error(`ended before its child started: ${text}`)));
  });
  t.teardown(() => {
    try {
      process.kill(pid);
    } catch {
      // gone
    }
  });
  return pid;
}

const parentOf = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]!.split(' ')[1]);

t.test("cargo's terminal: the line goes there, to cargo's own stderr", { skip }, async (t) => {
  const pid = await childOf(t, 'cargo', true);
  t.equal(cargoTerminalOf(pid, {}), `/proc/${parentOf(pid)}/fd/2`, 'a parent named cargo, its stderr a terminal');
});

t.test("cargo's stderr a pipe (a CI log, `| tee`): none, the line goes on the call's stderr", async (t) => {
  const pid = await childOf(t, 'cargo', false);
  t.equal(cargoTerminalOf(pid, {}), undefined);
});

t.test('a cargo of another name is known by $CARGO; a parent that is not cargo is not taken for one', { skip }, async (t) => {
  const versioned = await childOf(t, 'cargo-1.95', true);
  t.equal(cargoTerminalOf(versioned, { CARGO: join(dir, 'cargo-1.95') }), `/proc/${parentOf(versioned)}/fd/2`, 'cargo-1.95, named by CARGO');
  t.equal(cargoTerminalOf(versioned, {}), undefined, 'with no CARGO, a cargo-1.95 is not known');
  const other = await childOf(t, 'make', true);
  t.equal(cargoTerminalOf(other, { CARGO: join(dir, 'cargo') }), undefined, 'a make in a terminal, under a CARGO of another file: not cargo');
});
