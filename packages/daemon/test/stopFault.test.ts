import t from 'tap';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaemonServer } from '../src/server.js';
import type { CompileHandler, Services } from '../src/compileHandler.js';

// A stop's callers don't wait on it (the idle timer, `server stop`, a newer client, a signal): a
// step of it that failed (the remote's close, the index's, a pid file on a read-only disk)
// rejected, nothing caught it, and node ended the daemon with a stack trace (a review's repro).

t.test('a stop whose last steps fail ends quietly, with one line in the log', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'stop-fault-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const warned: string[] = [];
  const services = { config: { idleTimeoutMs: 50 }, log: { warn: (m: string) => warned.push(m), debug: () => undefined } } as unknown as Services;
  const handler = { settled: async () => undefined } as unknown as CompileHandler;
  const onStop = async () => {
    throw Object.assign(new Error('Database is not open'), { code: 'LEVEL_DATABASE_NOT_OPEN' });
  };
  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown) => unhandled.push(err);
  process.on('unhandledRejection', onUnhandled);
  t.teardown(() => void process.off('unhandledRejection', onUnhandled));
  const sock = join(dir, 'daemon.sock');
  const server = new DaemonServer(sock, services, handler, onStop);
  await server.listen();
  // The idle timer stops it, with no one waiting.
  const deadline = Date.now() + 5000;
  while (existsSync(sock) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
  await server.stop();
  await new Promise((res) => setTimeout(res, 50));
  t.notOk(existsSync(sock), 'the idle stop ran');
  t.same(unhandled, [], 'no unhandled rejection (node would end the daemon)');
  t.same(warned, ['while stopping: LEVEL_DATABASE_NOT_OPEN: Database is not open'], 'the failure is said in one line');
});
