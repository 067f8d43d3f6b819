import t from 'tap';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaemonServer } from '../src/server.js';
import type { CompileHandler, Services } from '../src/compileHandler.js';

// The daemon's socket is this user's alone from the moment it is bound, whatever the umask: bound
// under a umask of 002 or 000 (a store a group shares) and chmod'ed after, it let another user
// connect in between, and that connection outlived the chmod (a hunting helper planted a crate
// in another user's cache through it).

t.test('the socket is never open to the group or to others, under umask 000', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sock-mode-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const services = { config: { idleTimeoutMs: Infinity } } as unknown as Services;
  const handler = { settled: async () => undefined } as unknown as CompileHandler;
  const server = new DaemonServer(join(dir, 'daemon.sock'), services, handler, async () => undefined);
  // node binds a unix socket within listen(): its mode right after is the mode it was bound with,
  // what another user's connect() met until the daemon changed it.
  const bound: string[] = [];
  const listen = Server.prototype.listen;
  Server.prototype.listen = function (this: Server, ...args: unknown[]) {
    const r = (listen as (...a: unknown[]) => Server).apply(this, args);
    if (typeof args[0] === 'string') bound.push((statSync(args[0]).mode & 0o777).toString(8));
    return r;
  } as typeof listen;
  const umask = process.umask(0);
  try {
    await server.listen();
  } finally {
    Server.prototype.listen = listen;
    process.umask(umask);
  }
  t.same(bound, ['600'], 'bound with mode 0600 (before: 0777, and 0775 under umask 002)');
  t.equal(statSync(join(dir, 'daemon.sock')).mode & 0o777, 0o600, 'and in place, mode 0600');
  t.equal(process.umask(umask), umask, "the daemon's umask is as it was");
  await server.stop();
});
