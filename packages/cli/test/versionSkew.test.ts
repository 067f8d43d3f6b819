import t from 'tap';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join, relative } from 'node:path';
import { encodeFrame, FrameReader, PROTOCOL_VERSION, socketPath } from '@splitcache/daemon/protocol';
import { assertOk, BIN, copyFixture, copyInstall, DAEMON_MAIN, oneFileCrate, printingCrateArgs, ROOT, run, Store, tempDir, waitFor } from './helpers.js';

// A store shared by two splitcache versions, or a daemon left running across
// an upgrade: calls build uncached with one clear line, never fail, and the
// daemon of the wrong version can be stopped.

const crate = () => oneFileCrate('fn main() { println!("skew"); }\n', 'skew');
const rustcArgs = (cwd: string) => ['rustc', '--crate-name', 'skew', '--edition=2021', 'src/main.rs', '--crate-type', 'bin', '--emit=dep-info,link', '--out-dir', join(cwd, 'out')];

/** One request over the socket, as a client of any version would send it. */
function ask(dir: string, req: unknown): Promise<unknown> {
  return new Promise((res, rej) => {
    const s = connect(socketPath(dir));
    const reader = new FrameReader();
    s.on('data', (d) => {
      const [f] = reader.push(d);
      if (f) {
        s.end();
        res(f);
      }
    });
    s.on('error', rej);
    s.on('connect', () => s.write(encodeFrame(req)));
  });
}

t.test('a daemon of a splitcache before protocol 2 (MessagePack): calls build uncached, `server stop` still stops it', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  // Stands in for the old daemon: it holds the socket and the pid file, and drops
  // every connection whose frame it can't decode, as the MessagePack daemon did.
  const fake = join(tempDir('old'), 'daemon', 'dist', 'bundle');
  mkdirSync(fake, { recursive: true });
  writeFileSync(join(fake, 'main.mjs'), `
    import { createServer } from 'node:net';
    import { rmSync, writeFileSync } from 'node:fs';
    const [sock, pidFile] = process.argv.slice(2);
    const server = createServer((c) => c.on('data', () => c.destroy())).listen(sock, () => writeFileSync(pidFile, process.pid + '\\n'));
    process.on('SIGTERM', () => server.close(() => { rmSync(pidFile, { force: true }); process.exit(0); }));
  `);
  mkdirSync(store.dir, { recursive: true });
  const old = spawn(process.execPath, [join(fake, 'main.mjs'), socketPath(store.dir), join(store.dir, 'daemon.pid')], { stdio: 'ignore' });
  const exited = new Promise((r) => old.on('exit', r));
  t.teardown(() => old.kill('SIGKILL'));
  t.ok(await waitFor(() => existsSync(join(store.dir, 'daemon.pid'))), 'the old daemon listens');

  const ws = crate();
  const r = await run(BIN, rustcArgs(ws), { cwd: ws, env: store.env() });
  t.equal(r.code, 0, 'the call succeeds');
  t.equal((await run(join(ws, 'out', 'skew'), [])).stdout, 'skew\n', 'and its binary runs');
  const lines = r.stderr.split('\n').filter(Boolean);
  t.equal(lines.length, 1, `one line on stderr: ${r.stderr}`);
  t.match(lines[0], /^splitcache: SPLITCACHE_DAEMON_PROTOCOL: .*building uncached/);

  const stop = await store.splitcache(['server', 'stop']);
  t.equal(stop.code, 0);
  t.match(stop.stdout, /stopped/);
  await exited;
  t.notOk(existsSync(join(store.dir, 'daemon.pid')), 'the old daemon is gone');

  const again = await run(BIN, rustcArgs(ws), { cwd: ws, env: store.env() });
  t.equal(again.code, 0);
  t.equal(again.stderr, '', 'the next call starts a daemon of this version, silently');
  t.equal((await store.stats()).misses, 1, 'which served it');
});

t.test('`server stop` signals only a splitcache daemon named by the pid file', async (t) => {
  const store = new Store();
  mkdirSync(store.dir, { recursive: true });
  const bystander = spawn('sleep', ['30'], { stdio: 'ignore' });
  t.teardown(() => bystander.kill('SIGKILL'));
  writeFileSync(join(store.dir, 'daemon.pid'), `${bystander.pid}\n`);
  const stop = await store.splitcache(['server', 'stop']);
  t.equal(stop.code, 0);
  t.match(stop.stdout, /not running/);
  t.equal(bystander.exitCode, null, 'an unrelated process under a stale pid file is left alone');
  t.equal(bystander.signalCode, null);
});

t.test('a client of another protocol version: passed through with a warning; a newer one restarts the daemon', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  t.equal((await store.splitcache(['server', 'start'])).code, 0);
  const firstPid = store.daemonPid();
  const ws = crate();
  const req = (v: number) => ({ op: 'compile', v, argv: rustcArgs(ws), cwd: ws, env: store.env() });

  const older = (await ask(store.dir, req(PROTOCOL_VERSION - 1))) as { action: string; warning: string };
  t.equal(older.action, 'passthrough');
  t.match(older.warning, new RegExp(`^SPLITCACHE_DAEMON_PROTOCOL: this store's daemon speaks protocol ${PROTOCOL_VERSION}, the client ${PROTOCOL_VERSION - 1}`));
  t.equal(store.daemonPid(), firstPid, 'an older client leaves the daemon running');

  const newer = (await ask(store.dir, req(PROTOCOL_VERSION + 1))) as { action: string; warning: string };
  t.equal(newer.action, 'passthrough');
  t.match(newer.warning, /building uncached while it restarts/);
  t.ok(await waitFor(() => !existsSync(join(store.dir, 'daemon.pid'))), 'a newer client stops it');

  const r = await run(BIN, rustcArgs(ws), { cwd: ws, env: store.env() });
  t.equal(r.code, 0);
  t.not(store.daemonPid(), firstPid, 'the next call runs on a new daemon');
  const stats = await store.stats();
  t.equal(stats.passthrough['protocol-version'], 2, 'both skewed calls are counted as pass-throughs');
  t.equal(stats.misses, 1, 'and the real call was served');
});

t.test("an older client's cargo build against this daemon: one protocol line for the build, not one per crate", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  t.equal((await store.splitcache(['server', 'start'])).code, 0);
  // Stands in for the wrapper of the splitcache before this one (protocol v - 1), as
  // its client behaves: a call that compiles nothing (cargo's -vV and --print
  // probes) goes straight to rustc; any other asks the daemon, prints the plan's
  // warning if it has one, and runs rustc as it was given on a pass-through.
  const older = join(tempDir('older'), 'splitcache.mjs');
  writeFileSync(older, `#!${process.execPath}
import { connect } from 'node:net';
import { spawnSync } from 'node:child_process';
import { encodeFrame, FrameReader, socketPath } from ${JSON.stringify(import.meta.resolve('@splitcache/daemon/protocol'))};
const [rustc, ...args] = process.argv.slice(2);
if (args.some((a) => a === '-vV' || a === '-' || a.startsWith('--print'))) {
  process.exit(spawnSync(rustc, args, { stdio: 'inherit' }).status ?? 1);
}
const s = connect(socketPath(process.env.SPLITCACHE_DIR));
const reader = new FrameReader();
s.on('connect', () => s.write(encodeFrame({ op: 'compile', v: ${PROTOCOL_VERSION - 1}, argv: [rustc, ...args], cwd: process.cwd(), env: process.env })));
s.on('data', (d) => {
  const [plan] = reader.push(d);
  if (!plan) return;
  s.end();
  if (plan.warning) process.stderr.write('splitcache: ' + plan.warning + '\\n');
  process.exitCode = spawnSync(rustc, args, { stdio: 'inherit' }).status ?? 1;
});
`);
  chmodSync(older, 0o755);

  const ws = copyFixture();
  const r = await store.cargo(ws, ['build'], { RUSTC_WRAPPER: older, NODE_OPTIONS: '' });
  t.equal(r.code, 0, `the build succeeds: ${r.stderr}`);
  t.equal((await run(join(ws, 'target', 'debug', 'fx-app'), [])).code, 0, 'and its binary runs');
  const calls = (await store.stats()).passthrough['protocol-version'] ?? 0;
  t.ok(calls >= 5, `every compile came to the daemon (${calls})`);
  const lines = r.stderr.split('\n').filter((l) => l.includes('SPLITCACHE_DAEMON_PROTOCOL'));
  t.equal(lines.length, 1, `one protocol line in the build's output:\n${lines.join('\n')}`);
  t.match(lines[0], /the client \d+ \(a newer splitcache, installed at \S+; building uncached: upgrade this install, or give it a SPLITCACHE_DIR of its own\)/, 'naming the newer install and what to do');
  t.ok(lines[0]!.includes(`installed at ${ROOT};`), `the newer one is this checkout's install (${ROOT})`);
});

t.test("`server status` names another install whose daemon serves the store (its behaviour, not this one's)", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const other = copyInstall(`require(${JSON.stringify(DAEMON_MAIN)});\n`);
  const crate = oneFileCrate('fn main() {}\n', 'other');
  assertOk(t, await run(other.bin, ['rustc', ...printingCrateArgs(crate)], { cwd: crate, env: store.env() }), 'a call through the other install starts its daemon');
  const status = await store.splitcache(['server', 'status']);
  t.match(status.stdout, /^splitcache daemon running \(pid \d+/, 'this install reaches it');
  t.ok(status.stdout.includes(`served by another install: ${realpathSync(join(other.bin, '..', '..'))} (`), `and names that install: ${status.stdout}`);
  await store.stop();
  assertOk(t, await run(BIN, ['rustc', ...printingCrateArgs(crate)], { cwd: crate, env: store.env() }), 'a call through this install starts its own');
  t.notMatch((await store.splitcache(['server', 'status'])).stdout, /another install/, 'which is not named');
});

t.test("`server status` names another install whose daemon is from before ping replies named one (2026-12-05), by its command line", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  // Stands in for that daemon: it answers each request as such a daemon answered a ping, with its pid alone.
  const install = realpathSync(tempDir('old-install'));
  const bundle = join(install, 'packages', 'daemon', 'dist', 'bundle');
  mkdirSync(bundle, { recursive: true });
  writeFileSync(join(bundle, 'main.mjs'), `
    import { createServer } from 'node:net';
    import { rmSync, writeFileSync } from 'node:fs';
    const [sock, pidFile] = process.argv.slice(2);
    const reply = Buffer.from(JSON.stringify({ pid: process.pid }));
    const head = Buffer.alloc(4);
    head.writeUInt32BE(reply.length);
    const server = createServer((c) => c.once('data', () => c.end(Buffer.concat([head, reply])))).listen(sock, () => writeFileSync(pidFile, process.pid + '\\n'));
    process.on('SIGTERM', () => server.close(() => { rmSync(pidFile, { force: true }); process.exit(0); }));
  `);
  mkdirSync(store.dir, { recursive: true });
  const old = spawn(process.execPath, [join(bundle, 'main.mjs'), socketPath(store.dir), join(store.dir, 'daemon.pid')], { stdio: 'ignore' });
  t.teardown(() => old.kill('SIGKILL'));
  t.ok(await waitFor(() => existsSync(join(store.dir, 'daemon.pid'))), 'the old daemon listens');
  const status = await store.splitcache(['server', 'status']);
  t.match(status.stdout, `splitcache daemon running (pid ${old.pid}`, 'this install reaches it');
  t.ok(status.stdout.includes(`served by another install: ${install} (`), `and names its install: ${status.stdout}`);
});

t.test("an older client of this very install (its client bundle built apart from the daemon's): told to rebuild it, not to upgrade it", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  t.equal((await store.splitcache(['server', 'start'])).code, 0);
  const ws = crate();
  const req = (wrapper: string) => ({ op: 'compile', v: PROTOCOL_VERSION - 1, argv: rustcArgs(ws), cwd: ws, env: { ...store.env(), RUSTC_WRAPPER: wrapper } });
  const own = (await ask(store.dir, req(BIN))) as { action: string; warning: string };
  t.equal(own.action, 'passthrough');
  t.match(own.warning, `the client ${PROTOCOL_VERSION - 1} (this install's client bundle, older than its daemon's: the two were built apart; run \`npm run build\` in ${realpathSync(ROOT)}; building uncached)`, 'the install to rebuild');
  await store.stop();
  t.equal((await store.splitcache(['server', 'start'])).code, 0);
  const other = join(tempDir('older'), 'splitcache');
  writeFileSync(other, '');
  const theirs = (await ask(store.dir, req(other))) as { action: string; warning: string };
  t.match(theirs.warning, `(a newer splitcache, installed at ${realpathSync(ROOT)}; building uncached: upgrade this install`, "another install's older client is told to upgrade, as before");
});

t.test('a relative RUSTC_WRAPPER of this very install is found from where cargo ran (its PWD), not from the crate rustc compiles in', async (t) => {
  // cargo takes a relative RUSTC_WRAPPER from its own directory, and runs rustc in each crate's (a
  // dependency's in the registry): resolved from the crate's, it named no file, and this install's
  // own older client was told to upgrade the install it is part of.
  const store = new Store();
  t.teardown(() => store.stop());
  t.equal((await store.splitcache(['server', 'start'])).code, 0);
  const ws = crate();
  const pwd = dirname(ROOT);
  const env = { ...store.env(), RUSTC_WRAPPER: relative(pwd, BIN), PWD: pwd };
  const own = (await ask(store.dir, { op: 'compile', v: PROTOCOL_VERSION - 1, argv: rustcArgs(ws), cwd: ws, env })) as { action: string; warning: string };
  t.equal(own.action, 'passthrough');
  t.match(own.warning, `(this install's client bundle, older than its daemon's: the two were built apart; run \`npm run build\` in ${realpathSync(ROOT)}; building uncached)`, `the install to rebuild (${own.warning})`);
});
