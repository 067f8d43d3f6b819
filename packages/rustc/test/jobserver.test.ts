import t from 'tap';
import { jobserverFdNumbers } from '../src/index.js';

t.test("cargo's jobserver fds from its make flags", async (t) => {
  t.same(jobserverFdNumbers({ CARGO_MAKEFLAGS: '-j --jobserver-fds=6,7 --jobserver-auth=6,7' }), [6, 7], "cargo's own form");
  t.same(jobserverFdNumbers({ MAKEFLAGS: ' -j4 --jobserver-auth=3,4' }), [3, 4], "make's, when cargo's are absent");
  t.same(jobserverFdNumbers({ MFLAGS: '--jobserver-fds=9,10' }), [9, 10], "an older make's");
  t.same(jobserverFdNumbers({ CARGO_MAKEFLAGS: '-j --jobserver-auth=8,9', MAKEFLAGS: '--jobserver-auth=3,4' }), [8, 9], "cargo's win");
  t.same(jobserverFdNumbers({ CARGO_MAKEFLAGS: '-j --jobserver-auth=fifo:/tmp/GMfifo1' }), [], 'a fifo jobserver names no fds');
  t.same(jobserverFdNumbers({ CARGO_MAKEFLAGS: '-j --jobserver-auth=0,1' }), [], 'stdio is never taken for the jobserver');
  t.same(jobserverFdNumbers({ CARGO_MAKEFLAGS: '-j --jobserver-auth=2,5' }), [], 'nor is one end of it');
  t.same(jobserverFdNumbers({ MAKEFLAGS: ' -j4 --jobserver-auth=3,4 -j2 --jobserver-auth=5,6' }), [5, 6], 'of several, the last (GNU make: only the last is relevant)');
  t.same(jobserverFdNumbers({ MAKEFLAGS: '--jobserver-auth=3,4 --jobserver-auth=fifo:/tmp/GMfifo9' }), [], 'a fifo named last: no fds, though a pipe came first');
  // rustc's jobserver client (jobserver-rs find_jobserver_auth): the last --jobserver-auth, the older --jobserver-fds only without one.
  t.same(jobserverFdNumbers({ MAKEFLAGS: '-j --jobserver-auth=3,4 --jobserver-fds=5,6' }), [3, 4], 'an auth before an fds: the auth, as rustc reads it');
  t.same(jobserverFdNumbers({ MAKEFLAGS: '-j --jobserver-fds=3,4 --jobserver-fds=5,6' }), [5, 6], 'fds alone: the last of them');
  t.same(jobserverFdNumbers({}), [], 'no flags, no fds');
});
