import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tempFileFor } from '@splitcache/daemon/protocol';
import { BIN, printingCrate, printingCrateArgs, run, Store, tempDir, waitFor } from './helpers.js';

// An upgrade in place, with a deep store's daemon running: that daemon (of a splitcache before the
// socket went in the store dir, daemon/src/storeSocket.ts) listens in the temp dir, where calls no
// longer look. The first call starts a daemon, which finds the store locked by the earlier one and
// asks it to stop; without that, it answered "build uncached" while the earlier one kept the store.

/** A store whose path is too long for a socket's: its daemon's socket was in the temp dir. */
function deepStore(t: Test): Store {
  const store = new Store(join(tempDir('deep'), 'd'.repeat(100), 'store'));
  mkdirSync(store.dir, { recursive: true });
  t.teardown(() => store.stop());
  return store;
}

/** A stand-in daemon's script, `source`, where daemon.pid's check takes it for a daemon (`…/daemon/dist/bundle/main.mjs`). */
function earlierDaemon(source: string): string {
  const script = join(tempDir('old'), 'daemon', 'dist', 'bundle', 'main.mjs');
  mkdirSync(dirname(script), { recursive: true });
  writeFileSync(script, source);
  return script;
}

t.test('a deep store held by a daemon at its old temp-dir socket: the new daemon takes over at the first call', async (t) => {
  const store = deepStore(t);
  // Stands in for the earlier daemon: it holds the store's index, its pid file and the socket the
  // earlier splitcache used (a hash of the store's real path, in the temp dir), and stops on SIGTERM.
  const fake = earlierDaemon(
    `
    import { createServer } from 'node:net';
    import { rmSync, writeFileSync } from 'node:fs';
    const { Store } = await import(${JSON.stringify(import.meta.resolve('@splitcache/store'))});
    const [dir, sock] = process.argv.slice(2);
    const store = await Store.open(dir);
    rmSync(sock, { force: true });
    const server = createServer((c) => c.destroy()).listen(sock, () => writeFileSync(dir + '/daemon.pid', process.pid + '\\n'));
    process.on('SIGTERM', () => server.close(async () => { await store.close(); rmSync(dir + '/daemon.pid'); process.exit(0); }));
  `,
  );
  const legacy = tempFileFor(realpathSync(store.dir), 'sock');
  const old = spawn(process.execPath, [fake, store.dir, legacy], { stdio: 'ignore' });
  const ended = new Promise<number | null>((r) => old.on('exit', (code) => r(code)));
  t.teardown(() => old.kill('SIGKILL'));
  t.ok(await waitFor(() => existsSync(join(store.dir, 'daemon.pid'))), 'the earlier daemon holds the store');

  for (const [text, client] of [['first', 'exec'], ['second', 'node']] as const) {
    const cwd = printingCrate(text);
    const r = await run(BIN, ['rustc', ...printingCrateArgs(cwd)], { cwd, env: store.env(client === 'node' ? { SPLITCACHE_CLIENT: 'node' } : {}) });
    t.same([r.code, r.stderr], [0, ''], `${text} call: built, silently (${client} client)`);
  }
  t.equal(await Promise.race([ended, new Promise((r) => setTimeout(() => r('still running'), 10_000).unref())]), 0, 'the earlier daemon stopped as asked');
  t.match(readFileSync(join(store.dir, 'daemon.log'), 'utf8'), /of an earlier splitcache serves this store at .*asking it to stop/, 'daemon.log says so');
  t.equal((await store.stats()).misses, 2, 'the new daemon served both calls');
});

t.test('`server status` and `server stop` reach a daemon at its old temp-dir socket', async (t) => {
  // Right after an upgrade in place, before any build: status said "not running", and stop "was not
  // running", while the earlier daemon served the store (an upgrade helper's repro).
  const store = deepStore(t);
  const fake = earlierDaemon(
    `
    import { createServer } from 'node:net';
    import { rmSync } from 'node:fs';
    const { encodeFrame, FrameReader } = await import(${JSON.stringify(import.meta.resolve('@splitcache/daemon/protocol'))});
    const [sock] = process.argv.slice(2);
    rmSync(sock, { force: true });
    const server = createServer((c) => {
      const reader = new FrameReader();
      c.on('data', (d) => {
        for (const req of reader.push(d)) {
          if (req.op === 'stop') {
            c.end(encodeFrame({ stopping: true, pid: process.pid }));
            server.close(() => process.exit(0));
          } else c.write(encodeFrame({ pid: process.pid }));
        }
      });
    }).listen(sock, () => console.log('ready'));
  `,
  );
  const old = spawn(process.execPath, [fake, tempFileFor(realpathSync(store.dir), 'sock')], { stdio: ['ignore', 'pipe', 'ignore'] });
  t.teardown(() => old.kill('SIGKILL'));
  await new Promise((r) => old.stdout!.once('data', r));
  const ended = new Promise<number | null>((r) => old.on('exit', (code) => r(code)));
  const status = await store.splitcache(['server', 'status']);
  t.match(status.stdout, new RegExp(`running \\(pid ${old.pid}\\b`), `status names it (${status.stdout.trim()})`);
  const stop = await store.splitcache(['server', 'stop']);
  t.match(stop.stdout, /splitcache daemon stopped/, `stop stops it (${stop.stdout.trim()})`);
  t.equal(await Promise.race([ended, new Promise((r) => setTimeout(() => r('still running'), 10_000).unref())]), 0, 'it ended');
});
