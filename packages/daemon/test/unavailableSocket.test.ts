import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The stand-in daemon that answers while the store won't open (unavailable.ts) bound its socket at
// the store's path under the user's umask and chmod'ed it after (open to a group sharing the store
// in between), and on its way out removed whatever was at that path: the socket of a daemon
// started meanwhile, whose calls then found none (a review's finding). It runs in a child: its
// stop ends the process.

const unavailable = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'unavailable.js');

t.test('the stand-in binds its socket as its own alone, and on stopping leaves a newer socket at the path', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'unavailable-sock-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const sock = join(dir, 'daemon.sock');
  const script = `
    import { Server } from 'node:net';
    import { statSync, renameSync, writeFileSync } from 'node:fs';
    const listen = Server.prototype.listen;
    Server.prototype.listen = function (...args) {
      const r = listen.apply(this, args);
      if (typeof args[0] === 'string') writeFileSync(${JSON.stringify(join(dir, 'bound-mode'))}, (statSync(args[0]).mode & 0o777).toString(8));
      return r;
    };
    process.umask(0);
    const { serveUnavailable } = await import(${JSON.stringify(unavailable)});
    await serveUnavailable(${JSON.stringify(sock)}, new Error('SPLITCACHE_STORE_FULL: no room'), 400);
    process.umask(0o022);
    // What a daemon started meanwhile puts at the path.
    writeFileSync(${JSON.stringify(join(dir, 'newer'))}, 'the next daemon');
    renameSync(${JSON.stringify(join(dir, 'newer'))}, ${JSON.stringify(sock)});
  `;
  const began = Date.now();
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 10_000 });
  t.equal(r.status, 0, `the stand-in ran and stopped (${r.stderr.trim()})`);
  // At its lifetime (400 ms), so that a later call tries the store again: the timeout's SIGTERM ends it cleanly too.
  t.ok(Date.now() - began < 6000, `it stopped at its lifetime, not at the test's timeout (${Date.now() - began} ms)`);
  t.equal(readFileSync(join(dir, 'bound-mode'), 'utf8'), '600', 'bound with mode 0600 under umask 000 (before: 0777 until the chmod)');
  t.ok(existsSync(sock), 'the socket put at the path after it is left there');
  t.equal(existsSync(sock) && readFileSync(sock, 'utf8'), 'the next daemon', 'untouched');
});

// A daemon that serves the store may have begun to listen after this one found the store locked:
// the stand-in leaves its socket alone and returns false, or that daemon lost its calls for 30 s.
t.test('a daemon answering at the socket already: the stand-in leaves it and says so', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'unavailable-taken-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const sock = join(dir, 'daemon.sock');
  const script = `
    import { createServer } from 'node:net';
    import { statSync } from 'node:fs';
    const serving = createServer((c) => c.end());
    await new Promise((res) => serving.listen(${JSON.stringify(sock)}, res));
    const ino = statSync(${JSON.stringify(sock)}).ino;
    const { serveUnavailable } = await import(${JSON.stringify(unavailable)});
    const took = await serveUnavailable(${JSON.stringify(sock)}, new Error('SPLITCACHE_STORE_LOCKED: held'), 400);
    console.log(JSON.stringify({ took, same: statSync(${JSON.stringify(sock)}).ino === ino }));
    serving.close();
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 10_000 });
  t.equal(r.status, 0, r.stderr.trim());
  t.same(JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}'), { took: false, same: true }, 'not taken over: the serving daemon\'s socket is at the path');
});
