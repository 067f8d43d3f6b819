import t, { type Test } from 'tap';
import { mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { AUDIT_PART, encodeFrame, FrameReader, socketPath } from '@splitcache/daemon/protocol';
import { Store as Index } from '@splitcache/store';
import { run, Store } from './helpers.js';

// The audit log keeps 90 days of calls: a busy CI server's store holds a million lines and
// more. Sent in one frame, 1,100,000 lines (303,160,002 bytes) passed the frame limit, and
// `splitcache audit` failed, after the daemon had held all of them at once (1.56 GB peak).

const COUNT = 2 * AUDIT_PART + 500;

async function storeWithLines(t: Test): Promise<Store> {
  const store = new Store();
  t.teardown(() => store.stop());
  mkdirSync(store.dir, { recursive: true });
  const index = await Index.open(store.dir);
  const time = Date.now() - 3_600_000;
  const events = Array.from({ length: COUNT }, (_, i) => ({ time: time + i, session: `job-${i % 7}`, crate: `crate_${i % 300}`, crateType: 'lib', outcome: 'hit' as const, origin: 'local' as const, producer: 'runner' }));
  await index.appendEvents(events as Parameters<typeof index.appendEvents>[0]);
  await index.close();
  return store;
}

/** The frames the daemon sends for one request, up to its reply. */
function framesOf(dir: string, req: unknown): Promise<Record<string, unknown>[]> {
  return new Promise((res, rej) => {
    const s = connect(socketPath(dir));
    const reader = new FrameReader();
    const got: Record<string, unknown>[] = [];
    s.on('data', (d) => {
      for (const f of reader.push(d) as Record<string, unknown>[]) {
        if (f.alive) continue;
        got.push(f);
        if (!('eventsPart' in f)) {
          s.end();
          return res(got);
        }
      }
    });
    s.on('error', rej);
    s.on('connect', () => s.write(encodeFrame(req)));
  });
}

t.test('the audit log comes in parts of at most AUDIT_PART lines, and the client joins them', async (t) => {
  const store = await storeWithLines(t);
  const stats = await run(store.env().RUSTC_WRAPPER!, ['stats', '--json'], { env: store.env() }); // starts the daemon
  t.equal(stats.code, 0);
  const frames = await framesOf(store.dir, { op: 'audit', since: 0, parts: true });
  const sizes = frames.map((f) => ((f.eventsPart ?? f.events) as unknown[]).length);
  t.ok(Math.max(...sizes) <= AUDIT_PART, `frames of ${sizes.join(', ')} lines (at most ${AUDIT_PART} each)`);
  t.equal(sizes.reduce((a, b) => a + b, 0), COUNT, 'all the lines, once');
  const whole = await framesOf(store.dir, { op: 'audit', since: 0 });
  t.equal((whole[0]!.events as unknown[]).length, COUNT, 'a client that asks for no parts gets one reply, as before');
  const audit = await run(store.env().RUSTC_WRAPPER!, ['audit', '--json'], { env: store.env() });
  const lines = audit.stdout.split('\n').filter(Boolean);
  t.equal(lines.length, COUNT, `splitcache audit --json prints ${lines.length} lines of ${COUNT}`);
  t.equal((JSON.parse(lines[COUNT - 1]!) as { crate: string }).crate, `crate_${(COUNT - 1) % 300}`, 'the last one last');
  const session = await run(store.env().RUSTC_WRAPPER!, ['audit', '--json', '--session', 'job-3'], { env: store.env() });
  t.equal(session.stdout.split('\n').filter(Boolean).length, Math.floor((COUNT - 4) / 7) + 1, 'and a session filter still applies');
});
