import t from 'tap';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { processStart } from '../src/procCaller.js';

// A caller's pid is believed when its own stat line names that pid and the process with that pid
// here started at the clock tick the line gives (procCaller.ts): the first and the 22nd fields,
// the latter counted after a command name that may hold spaces and parentheses.
t.test('the pid and start tick of a /proc/<pid>/stat line', async (t) => {
  const line = (comm: string, tick: string, pid = '4242') => `${pid} (${comm}) S 1 4242 4242 0 -1 4194560 120 0 0 0 1 0 0 0 20 0 1 0 ${tick} 8581120 879 18446744073709551615`;
  t.same(processStart(line('bash', '1234567')), { pid: '4242', tick: '1234567' }, 'a plain command name');
  t.same(processStart(line('a) S 1 2 (b', '99')), { pid: '4242', tick: '99' }, 'a command name holding `) ` and spaces: counted after the last `)`');
  t.equal(processStart(line('bash', '12x')), undefined, 'a start that is not a number');
  t.equal(processStart(line('bash', '12', 'x1')), undefined, 'a pid that is not a number');
  t.equal(processStart('4242 (bash) S 1 2'), undefined, 'a line cut short');
  t.equal(processStart(''), undefined, 'no line (a caller that could not read its own)');

  const own = processStart(readFileSync('/proc/self/stat', 'latin1'));
  t.equal(own?.pid, String(process.pid), "this process's own line names its pid");
  const child = spawn('sleep', ['5'], { stdio: 'ignore' });
  t.teardown(() => child.kill());
  const theirs = processStart(readFileSync(`/proc/${child.pid}/stat`, 'latin1'));
  t.equal(theirs?.pid, String(child.pid), "a child's names the child's");
  t.ok(Number(theirs?.tick) >= Number(own?.tick), 'which started no earlier');
});
