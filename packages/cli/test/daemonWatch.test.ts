import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sampleDaemon, silentWhy, workedBetween } from '../src/daemonWatch.js';
import { tempDir, waitFor } from './helpers.js';

// What a client sees of a silent daemon through /proc, on real processes that daemon.pid names
// (each a node program at <dir>/daemon/dist/bundle/main.cjs, the path a daemon is known by).
const PROGRAMS = {
  busy: 'for (;;);',
  writing: "const fs = require('fs'); const fd = fs.openSync('/dev/null', 'w'); setInterval(() => fs.writeSync(fd, Buffer.alloc(4096)), 50);",
  idle: 'setInterval(() => {}, 60_000);',
};
/** Written by each program once its own code runs (busy's loop never yields, so it writes it first). */
const READY = "require('fs').writeFileSync(process.argv[2], '');\n";

function daemonLike(t: Test, kind: keyof typeof PROGRAMS): { dir: string; pid: number } {
  const dir = tempDir('watch');
  const main = join(dir, 'daemon', 'dist', 'bundle', 'main.cjs');
  mkdirSync(join(main, '..'), { recursive: true });
  writeFileSync(main, READY + PROGRAMS[kind]);
  const child = spawn(process.execPath, [main, join(dir, 'ready')], { stdio: 'ignore' });
  t.teardown(() => void child.kill('SIGKILL'));
  writeFileSync(join(dir, 'daemon.pid'), `${child.pid}\n`);
  return { dir, pid: child.pid! };
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('a daemon that computes, or writes, works; one idle or paused does not, and the line says which', async (t) => {
  const busy = daemonLike(t, 'busy');
  const writing = daemonLike(t, 'writing');
  const idle = daemonLike(t, 'idle');
  const paused = daemonLike(t, 'idle');
  // Each has started: node's own start-up is work, and on a loaded machine it outlasted a fixed 2 s
  // (the idle one was seen working, 4 runs in 4 under load). Then the idle ones' main threads are quiet.
  t.ok(await waitFor(() => [busy, writing, idle, paused].every((d) => existsSync(join(d.dir, 'ready'))), 30_000), 'each has started');
  for (let i = 0; i < 40; i++) {
    const a = [idle, paused].map((d) => sampleDaemon(d.dir));
    await pause(300);
    if ([idle, paused].every((d, j) => !workedBetween(a[j], sampleDaemon(d.dir)))) break;
  }
  process.kill(paused.pid, 'SIGSTOP');
  t.teardown(() => void process.kill(paused.pid, 'SIGCONT'));
  await pause(200);
  const before = [busy, writing, idle, paused].map((d) => sampleDaemon(d.dir));
  t.same(before.map((s) => s?.pid), [busy.pid, writing.pid, idle.pid, paused.pid], 'each is sampled');
  await pause(1_500);
  const after = [busy, writing, idle, paused].map((d) => sampleDaemon(d.dir));
  const worked = before.map((b, i) => workedBetween(b, after[i]));
  t.same(worked, [true, true, false, false], 'busy and writing worked; idle and paused did not');
  t.equal(silentWhy(after[3], false), 'paused by a signal');
  t.equal(silentWhy(after[2], false), 'state S, doing nothing');
  t.equal(silentWhy(after[0], true), 'busy all along');
});

t.test('a daemon replaced between two samples, or none at all, is not seen working', async (t) => {
  const a = daemonLike(t, 'busy');
  const b = daemonLike(t, 'busy');
  t.notOk(workedBetween(sampleDaemon(a.dir), sampleDaemon(b.dir)), 'another pid');
  t.equal(sampleDaemon(tempDir('none')), undefined, 'no daemon.pid');
  t.equal(silentWhy(undefined, false), undefined, 'and nothing to say of it');
});

t.test('a daemon waiting for a CPU (state R) works, though its counters have not moved: a loaded machine, not a hang', async (t) => {
  const before = { pid: 42, state: 'S', work: '10 2 4096' };
  t.ok(workedBetween(before, { pid: 42, state: 'R', work: '10 2 4096' }), 'runnable, nothing counted yet: working');
  t.notOk(workedBetween(before, { pid: 42, state: 'S', work: '10 2 4096' }), 'asleep, nothing counted: not working');
  t.notOk(workedBetween(before, { pid: 42, state: 'T', work: '11 2 4096' }), 'paused by a signal: not working, whatever it counted before the pause');
});
