import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { socketAnswers } from '../src/socketAnswers.js';

// socketAnswers connects to see whether a daemon serves at a socket, and hangs up at once. A probe
// left open (mutation Q01) held a connection to that daemon for the prober's life: a new daemon,
// probing an earlier version's socket before it asks that daemon to stop (legacyDaemon.ts), kept
// it from ever being idle, and one that stops once its connections end, from stopping.

t.test('a socket that answers: true, and the probe connection is closed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-answers-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const sock = join(dir, 'd.sock');
  const closed = new Promise<boolean>((res) => {
    const server = createServer((c: Socket) => {
      // Waited for, with a cap only a probe left open reaches (then ended here, so the test can end).
      const cap = setTimeout(() => (res(false), c.destroy()), 20_000);
      c.on('close', () => (clearTimeout(cap), res(true)));
      c.on('error', () => undefined);
    });
    server.listen(sock);
    t.teardown(() => server.close());
  });
  await new Promise((r) => setImmediate(r));
  t.equal(await socketAnswers(sock), true, 'it answers');
  t.ok(await closed, 'the probe hung up');
  t.equal(await socketAnswers(join(dir, 'none.sock')), false, 'no socket there: false');
});
