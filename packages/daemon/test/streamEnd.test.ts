import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { endsWithin } from '../src/execCall.js';

// A tee run's stderr connection ends as its rustc does; the daemon waits for that end a while
// (endsWithin), until the connection's 'close' (execServer.ts). Here the end is in the kernel
// while the event loop is held up past the wait: it must still count, as it came in time.

/** A connection from another process, which closes it `closeAfterMs` after it is made. */
async function connectionClosedBy(dir: string, closeAfterMs: number): Promise<Socket> {
  const path = join(dir, 's');
  const server = createServer();
  await new Promise<void>((r) => server.listen(path, r));
  const accepted = new Promise<Socket>((r) => server.once('connection', r));
  spawn(process.execPath, ['-e', `const c = require('net').connect(process.argv[1], () => setTimeout(() => c.end(), ${closeAfterMs}));`, path], { stdio: 'ignore' });
  const socket = await accepted;
  server.close();
  return socket;
}

t.test('an end that came while the event loop was held up past the wait counts', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-streamend-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const socket = await connectionClosedBy(dir, 100);
  socket.resume();
  const ended = new Promise<void>((r) => socket.once('close', () => r()));
  const within = endsWithin(ended, 300);
  // Held up 800 ms: the other process ends the connection meanwhile, and the wait's timer is due.
  const until = Date.now() + 800;
  while (Date.now() < until);
  t.equal(await within, true, 'it ended in time');
});

t.test('a connection that does not end within the wait does not count', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-streamend-open-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const socket = await connectionClosedBy(dir, 3_000);
  socket.resume();
  const t0 = Date.now();
  t.equal(await endsWithin(new Promise<void>((r) => socket.once('close', () => r())), 300), false, 'not ended');
  t.ok(Date.now() - t0 < 1_500, 'and the wait took about its time');
  socket.destroy();
});
