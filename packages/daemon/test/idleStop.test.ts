import t, { type Test } from 'tap';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaemonServer } from '../src/server.js';
import type { CompileHandler, Services } from '../src/compileHandler.js';

// The idle timeout ends a daemon with no caller, and never one with a connection open or a call
// on the exec port in hand (server.hold()): stopped under a build, each of its later calls would
// start a daemon anew and wait for the store this one still holds.

const IDLE_MS = 100;

async function daemon(t: Test, idleTimeoutMs = IDLE_MS) {
  const dir = mkdtempSync(join(tmpdir(), 'idle-stop-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const services = { config: { idleTimeoutMs }, log: { warn: () => undefined, debug: () => undefined } } as unknown as Services;
  const handler = { settled: async () => undefined, forget: () => undefined } as unknown as CompileHandler;
  let stopped = false;
  const sock = join(dir, 'daemon.sock');
  const server = new DaemonServer(sock, services, handler, async () => {
    stopped = true;
  });
  t.teardown(() => server.stop());
  await server.listen();
  return { sock, server, stopped: () => stopped };
}

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

async function until(cond: () => boolean, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await sleep(10);
  return cond();
}

/**
 * Connections to `d`, counted by it before the test goes on: held meanwhile, as the timer armed at
 * listen runs out in IDLE_MS, and a test process that got no CPU that long (a loaded runner) had
 * the daemon stopping before it accepted them.
 */
async function opened(d: Awaited<ReturnType<typeof daemon>>, n: number) {
  d.server.hold();
  const cs = Array.from({ length: n }, () => connect(d.sock));
  await Promise.all(cs.map((c) => new Promise((res) => c.once('connect', res))));
  const counted = () => (d.server as unknown as { open: number }).open === n + 1;
  if (!(await until(counted))) throw new Error('the daemon did not count the connections');
  d.server.release();
  return cs;
}

t.test('an idle daemon stops after its timeout', async (t) => {
  const d = await daemon(t);
  t.ok(await until(d.stopped), 'stopped');
  t.notOk(existsSync(d.sock), 'its socket is gone');
});

t.test('a connection open keeps it, whatever its length; once closed, the timeout counts again', async (t) => {
  const d = await daemon(t);
  const [c] = await opened(d, 1);
  await sleep(IDLE_MS * 6);
  t.notOk(d.server.isStopping(), 'not stopping while the connection is open');
  c!.destroy();
  t.ok(await until(d.stopped), 'stopped once it closed');
});

t.test('one of two connections closing: the other keeps it', async (t) => {
  const d = await daemon(t);
  const [a, b] = await opened(d, 2);
  a!.destroy();
  await sleep(IDLE_MS * 6);
  // A stop waits for the connections open to close, but stops listening at once: the build's next calls would find no daemon.
  t.notOk(d.server.isStopping(), 'not stopping while the other is open');
  b!.destroy();
  t.ok(await until(d.stopped), 'stopped once both closed');
});

t.test('a call on the exec port in hand (hold) keeps it, until released', async (t) => {
  const d = await daemon(t);
  d.server.hold();
  await sleep(IDLE_MS * 6);
  t.notOk(d.server.isStopping(), 'not stopping while held');
  d.server.release();
  t.ok(await until(d.stopped), 'stopped once released');
});

t.test('an idle timeout of never (0) never stops it', async (t) => {
  const d = await daemon(t, Infinity);
  await sleep(IDLE_MS * 3);
  t.notOk(d.server.isStopping(), 'not stopping');
});
