import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { socketPath } from '@splitcache/daemon/protocol';
import { BIN, realRustc, run, Store, tempDir } from './helpers.js';

// The client reaches the daemon through node's raw pipe binding where that is
// tested (node 20), else through node:net (SPLITCACHE_CLIENT_SOCKET=net forces
// it). Both must behave the same: misses, hits, links, replayed warnings, and
// a daemon that dies or drops the connection.

const RAW_EXPECTED = process.versions.node.startsWith('20.');
const sockets: ['raw' | 'net', NodeJS.ProcessEnv][] = [
  [RAW_EXPECTED ? 'raw' : 'net', {}],
  ['net', { SPLITCACHE_CLIENT_SOCKET: 'net' }],
];

function crate(name: string, body: string): string {
  const dir = tempDir(name);
  mkdirSync(join(dir, 'out'));
  writeFileSync(join(dir, 'main.rs'), body);
  return dir;
}
const binArgs = (dir: string) => ['rustc', '--crate-name', 'sock', '--edition=2021', 'main.rs', '--crate-type', 'bin', '--emit=dep-info,link', '-C', 'metadata=5ock', '--out-dir', join(dir, 'out')];
const libArgs = (dir: string) => ['rustc', '--crate-name', 'socklib', '--edition=2021', 'main.rs', '--crate-type', 'lib', '--emit=dep-info,metadata,link', '-C', 'metadata=5ocl', '--out-dir', join(dir, 'out')];
const timingLines = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { socket: string });

for (const [kind, extra] of sockets) {
  t.test(`${kind} socket${extra.SPLITCACHE_CLIENT_SOCKET ? ' (forced)' : ''}: miss, then hits with the link, warnings replayed byte for byte`, async (t) => {
    const store = new Store();
    t.teardown(() => store.stop());
    const log = join(tempDir('timing'), 'calls.jsonl');
    const env = store.env({ ...extra, SPLITCACHE_TIMING_LOG: log });
    // 1,500 unused variables: about half a megabyte of warnings, so replies span many reads.
    const lets = Array.from({ length: 1500 }, (_, i) => `let unused${i} = ${i};`).join(' ');
    const bin = crate('sockbin', `fn main() { ${lets} println!("through the {}", "socket"); }\n`);
    const lib = crate('socklib', 'pub fn f() -> u32 { let unused = 2; 7 }\n');
    const first = await run(BIN, binArgs(bin), { cwd: bin, env });
    t.equal(first.code, 0, 'the miss succeeds');
    t.ok(first.stderr.length > 300_000 && /unused variable/.test(first.stderr), `the miss shows rustc's warnings (${first.stderr.length} bytes)`);
    const firstLib = await run(BIN, libArgs(lib), { cwd: lib, env });
    t.equal(firstLib.code, 0, 'the lib miss succeeds');
    for (let i = 0; i < 2; i++) {
      rmSync(join(bin, 'out'), { recursive: true });
      mkdirSync(join(bin, 'out'));
      const hit = await run(BIN, binArgs(bin), { cwd: bin, env });
      t.equal(hit.code, 0);
      t.equal(hit.stderr, first.stderr, 'a hit replays the same stderr');
      t.equal((await run(join(bin, 'out', 'sock'), [])).stdout, 'through the socket\n', 'and its binary was linked');
      const libHit = await run(BIN, libArgs(lib), { cwd: lib, env });
      t.equal(libHit.code, 0);
      t.equal(libHit.stderr, firstLib.stderr);
    }
    const stats = await store.stats();
    t.equal(stats.misses, 2);
    t.equal(stats.hits, 4);
    t.same([...new Set(timingLines(log).map((l) => l.socket))], [kind], `every call went through the ${kind} socket`);
  });

  t.test(`${kind} socket: the daemon dies while -Zno-link runs; the call links anyway`, async (t) => {
    const store = new Store();
    t.teardown(() => store.stop());
    const dir = crate('sockslow', 'fn main() { println!("linked after all"); }\n');
    const real = await realRustc();
    const marker = join(dir, 'no-link-started');
    const slow = join(dir, 'rustc-slow');
    writeFileSync(slow, `#!/bin/sh\ncase "$*" in *-Zno-link*) touch '${marker}'; sleep 1 ;; esac\nexec '${real}' "$@"\n`, { mode: 0o755 });
    await store.splitcache(['server', 'start']);
    const call = run(BIN, [slow, ...binArgs(dir).slice(1)], { cwd: dir, env: store.env(extra) });
    for (let i = 0; i < 300 && !existsSync(marker); i++) await new Promise((r) => setTimeout(r, 20));
    t.ok(existsSync(marker), 'the -Zno-link half started');
    store.killDaemon();
    const r = await call;
    t.equal(r.code, 0, r.stderr);
    t.equal((await run(join(dir, 'out', 'sock'), [])).stdout, 'linked after all\n');
    t.match(r.stderr, /^splitcache: SPLITCACHE_DAEMON_LOST: the daemon went away during the call of sock \(its outputs are not cached\)\n$/, 'and says, in one line naming the crate, that nothing was cached');
  });

  t.test(`${kind} socket: a daemon that drops every connection; the call builds uncached with one line`, async (t) => {
    const store = new Store();
    mkdirSync(store.dir, { recursive: true });
    const fake = join(tempDir('dropper'), 'dropper.mjs');
    writeFileSync(fake, `import { createServer } from 'node:net';\nconst s = createServer((c) => c.on('data', () => c.destroy())).listen(process.argv[2], () => console.log('up'));\nprocess.on('SIGTERM', () => s.close(() => process.exit(0)));\n`);
    const dropper = spawn(process.execPath, [fake, socketPath(store.dir)], { stdio: ['ignore', 'pipe', 'inherit'] });
    t.teardown(() => dropper.kill('SIGKILL'));
    await new Promise((r) => dropper.stdout!.once('data', r));
    const dir = crate('sockdrop', 'fn main() { println!("uncached"); }\n');
    const r = await run(BIN, binArgs(dir), { cwd: dir, env: store.env(extra) });
    t.equal(r.code, 0);
    t.equal((await run(join(dir, 'out', 'sock'), [])).stdout, 'uncached\n');
    t.match(r.stderr, /^splitcache: SPLITCACHE_DAEMON_PROTOCOL: daemon closed the connection \(building uncached\)\n$/);
  });
}
