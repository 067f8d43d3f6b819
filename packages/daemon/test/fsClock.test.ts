import t from 'tap';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { changedSince } from '../src/changedSince.js';
import { fsClockSkew, sinceOn, skewFrom } from '../src/fsClock.js';

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

// A file system's clock behind the daemon's by under 2 s was taken for the daemon's: an input
// written in the compile's first 1.5 s got a ctime before its start (on the daemon's clock) and
// was stored, its new digest with the outputs of its old text. Here the daemon's clock is moved
// 1.5 s ahead, so the file system's reads 1.5 s behind it.
t.test("a file system whose clock is 1.5 s behind the daemon's: an input written during the compile is changed, one written before it is not", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fs-clock-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const before = join(dir, 'before.rs');
  writeFileSync(before, 'fn a() {}\n');
  await sleep(150);
  const realNow = Date.now;
  Date.now = () => realNow() + 1500;
  t.teardown(() => void (Date.now = realNow));
  const startedAt = Date.now();
  await sleep(30);
  const during = join(dir, 'during.rs');
  writeFileSync(during, 'fn b() {}\n');

  const [stBefore, stDuring] = [statSync(before), statSync(during)];
  t.notOk(changedSince(during, stDuring, startedAt), "by the daemon's clock alone, the file written during the compile reads as unchanged (what stored it)");
  const skew = fsClockSkew(dir);
  t.ok(skew && skew.skewMs <= -1500 && skew.skewMs > -2500, `the lag measured: ${skew?.skewMs} ms`);
  t.ok(changedSince(during, stDuring, sinceOn(stDuring, startedAt, skew)), 'on its own clock, the file written during the compile is changed (before: stored)');
  t.notOk(changedSince(before, stBefore, sinceOn(stBefore, startedAt, skew)), 'and the one written before it is not');
});

t.test('the skew applied for a measured one: a lead under 2 s and a lag within a tick are none; any other lag is all applied', async (t) => {
  t.equal(skewFrom(0), 0);
  t.equal(skewFrom(-3.5), 0, "a coarse tick's lag (a local file system)");
  t.equal(skewFrom(-11), 0, 'a jiffy at HZ=100 and the millisecond a probe adds');
  t.equal(skewFrom(1500), 0, 'a lead under 2 s: inputs of the 1.5 s before a compile are not stored, none wrongly');
  t.equal(skewFrom(3600_000), 3600_000);
  t.equal(skewFrom(-1500), -1500, 'a lag of 1.5 s (before: 0)');
  t.equal(skewFrom(-700), -700, 'a file system of whole seconds: the lag its truncated ctime may hide');
  // On such a file system (a whole-second ctime, changedSince.ts), an input written seconds before
  // the compile is still stored, and one written in the second it started in is not.
  const dir = mkdtempSync(join(tmpdir(), 'fs-clock-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const f = join(dir, 'a.rs');
  writeFileSync(f, 'fn a() {}\n');
  const st = statSync(f);
  const startedAt = 1_700_000_000_250;
  const dated = (ms: number) => ({ ...st, dev: st.dev, ctimeMs: Math.floor(ms / 1000) * 1000 }) as typeof st;
  const skew = { dev: st.dev, skewMs: skewFrom(-999) };
  t.notOk(changedSince(f, dated(startedAt - 3000), sinceOn(st, startedAt, skew)), 'written 3 s before: unchanged, stored');
  t.ok(changedSince(f, dated(startedAt + 100), sinceOn(st, startedAt, skew)), 'written during: changed');
});

// Date.now() is a whole millisecond, less than the time it was read; a ctime may be finer (a
// kernel that dates a change finely once its dir's times were read, as Linux 6.13's multigrain
// timestamps do on ext4 and tmpfs). Taken less the whole millisecond, such a probe measured a lag
// of 1.5 s as 1499.x ms, short of the lag (the first of five here, after a stat of the dir).
t.test("a lag is never measured short of what it is, where a ctime is finer than Date.now()'s whole ms", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fs-clock-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const realNow = Date.now;
  let lag = 1500;
  Date.now = () => realNow() + lag;
  t.teardown(() => void (Date.now = realNow));
  const short: number[] = [];
  for (let i = 0; i < 20; i++) {
    lag += 20_000; // a clock moved on past MEASURED_FOR_MS: measured again
    statSync(dir);
    writeFileSync(join(dir, `f${i}.rs`), '');
    const skew = fsClockSkew(dir);
    if (!skew || skew.skewMs > -lag) short.push(skew ? skew.skewMs + lag : NaN);
  }
  t.same(short, [], 'no measure of the lag fell short of it');
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
