import t from 'tap';
import { CircuitBreaker } from '../src/index.js';

t.test('each failed probe doubles the cool-down, up to 16 times; a success resets it', async (t) => {
  let now = 0;
  const b = new CircuitBreaker(3, 30_000, () => now);
  b.failure('timeout');
  t.equal(b.retryInMs, 30_000, 'a timeout opens it for the configured cool-down');
  const waits: number[] = [];
  for (let i = 0; i < 7; i++) {
    now += b.retryInMs;
    t.ok(b.allow(), 'one probe after the cool-down');
    t.notOk(b.allow(), 'and only one');
    b.failure('timeout');
    waits.push(b.retryInMs / 1000);
  }
  t.same(waits, [60, 120, 240, 480, 480, 480, 480], 'a remote that stays broken is tried less and less often');
  t.equal(b.trips, 8);
  now += b.retryInMs;
  t.ok(b.allow());
  b.success();
  t.notOk(b.isOpen, 'a good probe closes it');
  b.failure('timeout');
  t.equal(b.retryInMs, 30_000, 'and the next opening is back to the configured cool-down');
});

t.test('probeNow lets one probe through before the cool-down ends; a closed breaker is left alone', async (t) => {
  const now = 1_000;
  const b = new CircuitBreaker(3, 30_000, () => now);
  b.probeNow();
  t.notOk(b.isOpen, 'closed: nothing to do');
  b.failure('timeout');
  t.notOk(b.allow(), 'open: no request');
  b.probeNow();
  t.ok(b.allow(), 'after probeNow, one probe');
  t.notOk(b.allow(), 'and only one');
  b.probeNow();
  t.notOk(b.allow(), 'a probe out: probeNow adds none');
  b.success();
  t.ok(b.allow(), 'the probe closed it');
});
