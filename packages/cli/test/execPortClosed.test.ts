import t from 'tap';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, oneFileCrate, printingCrateArgs, run, runOnPipes, Store, tempDir } from './helpers.js';

// A daemon can close a call's connection before it has read the call's request: it exits (an
// idle stop, `server stop`, the OOM killer) just after it accepted it, or it finds a wrong token in
// the first fields (a stale exec.port naming a port another process listens on now) and reads no
// further. bash then writes the rest of a long request into a closed connection. That write must
// not end the call: the build goes on without the daemon, as it would without splitcache.

/** A listener that closes each connection as it comes, reading nothing. */
function closing(listen: (s: Server) => void): Promise<Server> {
  return new Promise((res) => {
    const s = createServer((c) => {
      c.on('error', () => undefined);
      c.destroy();
    });
    s.once('listening', () => res(s));
    listen(s);
  });
}

t.test('an exec port that closes the connection before it reads the request: the call builds uncached, exit 0', async (t) => {
  const store = new Store();
  // The exec port, and a daemon socket that does the same (so no daemon is started, and the node
  // client, which the call goes on to, finds the daemon gone as well).
  const port = await closing((s) => s.listen(0, '127.0.0.1'));
  const sock = await closing((s) => s.listen(join(store.dir, 'daemon.sock')));
  t.teardown(() => (port.close(), sock.close()));
  writeFileSync(join(store.dir, 'exec.port'), `${(port.address() as AddressInfo).port} ${'0'.repeat(32)} ${tempDir('runs')}\n`, { mode: 0o600 });
  const cwd = oneFileCrate('fn main() { println!("built"); }\n');
  // A request longer than one write of bash's: cargo's calls of a crate with many dependencies are.
  // ~400 KB, more than the connection's buffers hold: with 800 arguments (16 KB) bash could write it
  // all before the port's close, and the test passed without the fix in 1 run of 5 here.
  const many = Array.from({ length: 20_000 }, (_, i) => ['--cfg', `feature="f${i}"`]).flat();
  const r = await runOnPipes(BIN, ['rustc', ...printingCrateArgs(cwd), ...many], { cwd, env: store.env() });
  t.equal(r.code, 0, `the call exits 0 (${r.code}: ${r.stderr.slice(0, 300)})`);
  t.ok(existsSync(join(cwd, 'out', 'trial-t')), 'and the binary is built');
});

t.test('a daemon killed under a call whose crate fails to compile: the plain rustc after it ends the call with its exit code', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  await store.splitcache(['server', 'start']);
  // A rustc that kills the daemon as its first run for the crate starts, then runs: the call then runs
  // rustc plainly, filtering a second metadata notice out of its JSON stderr (bin/splitcache sc_plain).
  const dir = tempDir('killing-rustc');
  const once = join(dir, 'killed');
  const rustc = join(dir, 'rustc');
  writeFileSync(rustc, `#!/bin/sh\ncase " $* " in *" --crate-name broken "*) if [ ! -e '${once}' ]; then : > '${once}'; kill -KILL ${store.daemonPid()}; fi ;; esac\nexec rustc "$@"\n`, { mode: 0o755 });
  const cwd = tempDir('broken');
  mkdirSync(join(cwd, 'out'));
  writeFileSync(join(cwd, 'lib.rs'), 'pub fn f() -> u32 { "not a number" }\n');
  const args = ['--crate-name', 'broken', '--edition=2021', 'lib.rs', '--crate-type', 'lib', '--emit=dep-info,metadata,link', '--error-format=json', '--json=diagnostic-rendered-ansi,artifacts,future-incompat', '--out-dir', join(cwd, 'out')];
  const plain = await run('rustc', args, { cwd });
  const r = await runOnPipes(BIN, [rustc, ...args], { cwd, env: store.env() });
  t.ok(existsSync(once), 'the daemon was killed under the call');
  t.not(plain.code, 0, 'plain rustc fails');
  t.equal(r.code, plain.code, `and the call fails with its exit code (${r.stderr.slice(-300)})`);
  t.match(r.stderr, /mismatched types/, "with rustc's diagnostic");
});
