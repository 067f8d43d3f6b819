import t, { type Test } from 'tap';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StoreStall } from '../src/storeStall.js';
import type { Logger } from '../src/log.js';

// A wait on the daemon's background writes that takes 5 s asks the store's file system whether it
// still writes (a child's `touch`, which may block in it); one whose write takes 3 s makes the store
// taken for hung: the waits end at once, the log is held (it is in the store dir), and the store is
// asked again every 5 s until a write goes through. These stand in a script for `touch`.

// Both cases are timers and a child that sleeps, each with a store dir of its own: side by side,
// the file takes the longer one's time (13 s) rather than both (20 s).
t.jobs = 2;

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

function fixture(t: Test) {
  const dir = mkdtempSync(join(tmpdir(), 'store-stall-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'index'));
  const said: string[] = [];
  const log = { warn: (m: string) => said.push(`warn ${m}`), debug: () => undefined, hold: () => said.push('hold'), release: () => said.push('release') } as unknown as Logger;
  const toucher = join(dir, 'touch');
  const touches = (hangs: boolean) => {
    writeFileSync(toucher, hangs ? '#!/bin/sh\nexec sleep 30\n' : '#!/bin/sh\nexit 0\n');
    chmodSync(toucher, 0o755);
  };
  return { dir, said, log, toucher, touches };
}

/** A plan that ends in `ms`; `held`: the test waits for it (else it does not keep the test's process up once given up). */
const slowPlan = (ms: number, held = false) => new Promise<string>((res) => {
  const timer = setTimeout(() => res('done'), ms);
  if (!held) timer.unref();
});

t.test('no touch to ask with: the store is taken as one that writes, and the wait runs its course', { timeout: 30_000 }, async (t) => {
  const f = fixture(t);
  const stall = new StoreStall(f.dir, f.log, join(f.dir, 'no-such-touch'));
  t.equal(await stall.guard(slowPlan(6500, true), () => 'instead'), 'done', 'the plan ends as it would');
  t.notOk(stall.hung, 'not taken for hung');
  t.same(f.said, [], 'and nothing said');
});

t.test('a write that does not end: the wait ends at once, the log is held, and once writes go through again the log is let go', { timeout: 60_000 }, async (t) => {
  const f = fixture(t);
  f.touches(true);
  // The stall's own timers don't keep a process up (a daemon's are its sockets'): this test's wait does.
  const keep = setInterval(() => undefined, 1000);
  t.teardown(() => clearInterval(keep));
  const stall = new StoreStall(f.dir, f.log, f.toucher);
  const began = Date.now();
  t.equal(await stall.guard(slowPlan(30_000), () => 'instead'), 'instead', 'the wait is given up');
  t.ok(Date.now() - began < 15_000, `within the suspect and probe times (${Date.now() - began} ms)`);
  t.ok(stall.hung, 'the store is taken for hung');
  t.equal(f.said[0], 'hold', 'the log is held first');
  t.match(f.said[1], /SPLITCACHE_STORE_HUNG/, 'then told');
  t.equal(await stall.guard(slowPlan(30_000), () => 'instead'), 'instead', 'a wait while hung ends at once');
  f.touches(false);
  const deadline = Date.now() + 15_000;
  while (stall.hung && Date.now() < deadline) await sleep(200);
  t.notOk(stall.hung, 'taken for writing again within seconds');
  t.ok(f.said.includes('release'), 'the held log let go');
  t.match(f.said.at(-1), /takes writes again/);
});
