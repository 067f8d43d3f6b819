import t from 'tap';
import { holdKind } from '../src/loopStalls.js';

// What the daemon's log says a hold of its event loop was (cli/test/busyDaemon.test.ts has real ones).
t.test('a hold is told by what the loop thread did meanwhile', async (t) => {
  t.equal(holdKind(10_000, 9_500, 300), 'busy in one step', 'on a CPU nearly all of it');
  t.equal(holdKind(10_000, 800, 9_000), 'starved of CPU', 'waiting for a CPU most of it');
  t.equal(holdKind(15_800, 11_300, 4_700), 'busy in one step', 'runnable all along, on a CPU more than waiting: one step on a loaded machine');
  t.equal(holdKind(10_000, 4_000, 5_000), 'starved of CPU', 'runnable all along, waiting more than on a CPU');
  t.equal(holdKind(10_000, 20, 10), 'paused, or blocked in a system call', 'neither: stopped, or asleep in the kernel');
  t.equal(holdKind(10_000, 3_000, 3_000), 'paused, or blocked in a system call', 'runnable for only part of it');
  t.equal(holdKind(10_000, 500, 7_000), 'starved of CPU', 'waiting for a CPU most of it, stopped for the rest');
  t.equal(holdKind(10_000, 20, undefined), 'starved of CPU, paused, or blocked in a system call', 'where the kernel tells no wait');
  t.equal(holdKind(10_000, 9_000, undefined), 'busy in one step');
});
