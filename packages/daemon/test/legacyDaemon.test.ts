import t, { type Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopLegacyDaemon } from '../src/legacyDaemon.js';
import { makeLogger } from '../src/log.js';
import { socketPath, tempFileFor } from '../src/protocol.js';

// The daemon that holds a deep store is asked to stop only where it is one of an earlier splitcache:
// the process daemon.pid names, listening at the store's old temp-dir socket. A daemon of this
// version stopping with a call in hand (its socket closed, the store still held) was sent SIGTERM
// when anything answered at the old path, and a second signal ends a stopping daemon at once: the
// call it had in hand lost its daemon (a review's repro).

const log = makeLogger('quiet');

/** A process that looks like a daemon to daemon.pid's check (its script under daemon/…/main.mjs), listening at `sock` if given. */
function fakeDaemon(t: Test, base: string, sock?: string): Promise<ChildProcess> {
  const dir = join(base, 'daemon', 'dist', 'bundle');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'main.mjs'), `
    import { createServer } from 'node:net';
    const sock = process.argv[2];
    if (sock) createServer((c) => c.destroy()).listen(sock, () => console.log('ready'));
    else console.log('ready');
    setInterval(() => {}, 1000);
  `);
  const child = spawn(process.execPath, [join(dir, 'main.mjs'), ...(sock ? [sock] : [])], { stdio: ['ignore', 'pipe', 'ignore'] });
  t.teardown(() => child.kill('SIGKILL'));
  return new Promise((res) => child.stdout!.once('data', () => res(child)));
}

function deepStore(t: Test) {
  const base = mkdtempSync(join(tmpdir(), 'legacy-'));
  t.teardown(() => rmSync(base, { recursive: true, force: true }));
  const dir = join(base, 'd'.repeat(100), 'store');
  mkdirSync(dir, { recursive: true });
  return { base, dir, legacy: tempFileFor(realpathSync(dir), 'sock') };
}

const listenAt = (t: Test, sock: string) =>
  new Promise<Server>((res) => {
    rmSync(sock, { force: true });
    const s = createServer((c) => c.destroy()).listen(sock, () => res(s));
    t.teardown(() => s.close());
  });

t.test('an earlier daemon, listening at the old socket and named by daemon.pid, is asked to stop', async (t) => {
  const { base, dir, legacy } = deepStore(t);
  rmSync(legacy, { force: true });
  const old = await fakeDaemon(t, base, legacy);
  writeFileSync(join(dir, 'daemon.pid'), `${old.pid}\n`);
  const ended = new Promise((r) => old.once('exit', (_code, signal) => r(signal)));
  t.equal(await stopLegacyDaemon(dir, log), true, 'asked');
  t.equal(await ended, 'SIGTERM', 'by SIGTERM, its stop');
});

t.test('a daemon named by daemon.pid that does not listen at the old socket is left alone, whatever answers there', async (t) => {
  const { base, dir, legacy } = deepStore(t);
  const stopping = await fakeDaemon(t, base); // this version's, stopping: its socket closed
  writeFileSync(join(dir, 'daemon.pid'), `${stopping.pid}\n`);
  await listenAt(t, legacy); // another process answers at the old path
  t.equal(await stopLegacyDaemon(dir, log), false, 'not asked');
  t.equal(stopping.exitCode ?? stopping.signalCode, null, 'still running');
});

t.test("nor while the store's own socket is there (a daemon of this version made it)", async (t) => {
  const { base, dir, legacy } = deepStore(t);
  rmSync(legacy, { force: true });
  const daemon = await fakeDaemon(t, base, legacy);
  writeFileSync(join(dir, 'daemon.pid'), `${daemon.pid}\n`);
  await listenAt(t, socketPath(dir));
  t.equal(await stopLegacyDaemon(dir, log), false, 'not asked');
  t.equal(daemon.exitCode ?? daemon.signalCode, null, 'still running');
});
