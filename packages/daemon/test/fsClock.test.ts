import t from 'tap';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { changedSince } from '../src/changedSince.js';
import { fsClockSkew, sinceOn } from '../src/fsClock.js';

// An input's ctime is set by its file system's clock. Where that clock ran an hour ahead of the
// daemon's (a network file system's server, a VM host's bind mount), every input read as changed
// after its compile began, and no result was ever stored (a hunting helper's repro, the daemon
// run under libfaketime an hour behind). Here the daemon's clock is what is moved: Date.now().

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

for (const behind of [3600_000, 10_000])
t.test(`a file system whose clock is ${behind / 1000} s ahead of the daemon's: inputs written before the compile are unchanged, one written during it is changed`, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fs-clock-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const before = join(dir, 'before.rs');
  writeFileSync(before, 'fn a() {}\n');
  await sleep(30);
  const realNow = Date.now;
  Date.now = () => realNow() - behind;
  t.teardown(() => void (Date.now = realNow));
  const startedAt = Date.now();
  await sleep(30);
  const during = join(dir, 'during.rs');
  writeFileSync(during, 'fn b() {}\n');
  await sleep(30);

  const [stBefore, stDuring] = [statSync(before), statSync(during)];
  t.ok(changedSince(before, stBefore, startedAt), "by the daemon's clock alone, the file written before reads as changed (what stored nothing)");
  const skew = fsClockSkew(dir);
  t.ok(skew && Math.abs(skew.skewMs - behind) < 1000, `the skew measured: ${skew?.skewMs} ms`);
  t.notOk(changedSince(before, stBefore, sinceOn(stBefore, startedAt, skew)), 'on its own clock, the file written before is unchanged');
  t.ok(changedSince(during, stDuring, sinceOn(stDuring, startedAt, skew)), 'and the one written during the compile is changed');
  t.same(readdirSync(dir).sort(), ['before.rs', 'during.rs'], 'no probe file is left');
});

t.test("a file system on the daemon's clock: no skew, and since as it was", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fs-clock-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const skew = fsClockSkew(dir);
  t.equal(skew?.skewMs, 0, 'within the tolerance: 0');
  const st = statSync(dir);
  t.equal(sinceOn(st, 1234, skew), 1234);
  t.equal(sinceOn({ ...st, dev: st.dev + 1 } as typeof st, 1234, { dev: st.dev, skewMs: 5000 }), 1234, "a file of another device: the daemon's clock");
  t.equal(fsClockSkew(join(dir, 'no-such-dir')), undefined, 'no dir: no measure');
});
