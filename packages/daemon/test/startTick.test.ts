import t from 'tap';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { startTick } from '../src/procCaller.js';

// A caller's pid is believed when the process with that pid here started at the clock tick the
// caller's own stat line gives (procCaller.ts): the 22nd field, after a command name that may
// hold spaces and parentheses.
t.test('the start tick of a /proc/<pid>/stat line', async (t) => {
  const line = (comm: string, tick: string) => `4242 (${comm}) S 1 4242 4242 0 -1 4194560 120 0 0 0 1 0 0 0 20 0 1 0 ${tick} 8581120 879 18446744073709551615`;
  t.equal(startTick(line('bash', '1234567')), '1234567', 'a plain command name');
  t.equal(startTick(line('a) S 1 2 (b', '99')), '99', 'a command name holding `) ` and spaces: read after the last `)`');
  t.equal(startTick(line('bash', '12x')), undefined, 'a field that is not a number');
  t.equal(startTick('4242 (bash) S 1 2'), undefined, 'a line cut short');
  t.equal(startTick(''), undefined, 'no line (a caller that could not read its own)');

  const own = startTick(readFileSync('/proc/self/stat', 'latin1'));
  t.match(own, /^\d+$/, "this process's own line has one");
  const child = spawn('sleep', ['5'], { stdio: 'ignore' });
  t.teardown(() => child.kill());
  const childTick = startTick(readFileSync(`/proc/${child.pid}/stat`, 'latin1'));
  t.ok(Number(childTick) >= Number(own), 'a process started later has a tick no earlier');
  t.equal(startTick(readFileSync(`/proc/${child.pid}/stat`, 'latin1')), childTick, 'and the same tick read again');
});
