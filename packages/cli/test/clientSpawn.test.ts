import t from 'tap';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, fileTree, run, Store, tempDir } from './helpers.js';

// The client starts rustc through node's raw process and pipe bindings where
// that is tested (node 20), else through node:child_process
// (SPLITCACHE_CLIENT_SPAWN=node forces it). Both must behave the same: output
// relayed and captured byte for byte, exit codes and signals passed on, a
// rustc that can't be started, and cargo's jobserver handed down.

const RAW_EXPECTED = process.versions.node.startsWith('20.');
const kinds: ['raw' | 'node', NodeJS.ProcessEnv][] = [
  [RAW_EXPECTED ? 'raw' : 'node', {}],
  ['node', { SPLITCACHE_CLIENT_SPAWN: 'node' }],
];

function crate(name: string, body: string): string {
  const dir = tempDir(name);
  mkdirSync(join(dir, 'out'));
  writeFileSync(join(dir, 'main.rs'), body);
  return dir;
}
const binArgs = (dir: string, name = 'spawned') => ['rustc', '--crate-name', name, '--edition=2021', 'main.rs', '--crate-type', 'bin', '--emit=dep-info,link', '-C', 'metadata=59a', '--out-dir', join(dir, 'out')];
/** The same call without the wrapper, writing elsewhere. */
function plainArgs(dir: string): string[] {
  mkdirSync(join(dir, 'plain-out'), { recursive: true });
  return [...binArgs(dir).slice(1, -1), join(dir, 'plain-out')];
}
const timingLines = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { spawn?: string });

for (const [kind, extra] of kinds) {
  const forced = extra.SPLITCACHE_CLIENT_SPAWN ? ' (forced)' : '';

  t.test(`${kind} spawn${forced}: a miss relays rustc's output as it comes, a hit replays it, the link runs`, async (t) => {
    const store = new Store();
    t.teardown(() => store.stop());
    const log = join(tempDir('timing'), 'calls.jsonl');
    const env = store.env({ ...extra, SPLITCACHE_TIMING_LOG: log });
    // About half a megabyte of warnings: many reads from rustc's stderr pipe.
    const lets = Array.from({ length: 1500 }, (_, i) => `let unused${i} = ${i};`).join(' ');
    const dir = crate('spawnbin', `fn main() { ${lets} println!("spawned {}", "well"); }\n`);
    const plain = await run('rustc', plainArgs(dir), { cwd: dir });
    t.equal(plain.code, 0, 'plain rustc builds it');
    const miss = await run(BIN, binArgs(dir), { cwd: dir, env });
    t.equal(miss.code, 0, 'the miss succeeds');
    t.equal(miss.stderr, plain.stderr, `the miss shows rustc's own stderr byte for byte (${miss.stderr.length} bytes)`);
    rmSync(join(dir, 'out'), { recursive: true });
    mkdirSync(join(dir, 'out'));
    const hit = await run(BIN, binArgs(dir), { cwd: dir, env });
    t.equal(hit.code, 0, 'the hit succeeds');
    t.equal(hit.stderr, plain.stderr, 'and replays the same stderr');
    t.equal((await run(join(dir, 'out', 'spawned'), [])).stdout, 'spawned well\n', 'its binary was linked by the spawned -Zlink-only');
    const stats = await store.stats();
    // Should the second call not hit, say why: the calls as the audit log has them, the errors, the daemon's log.
    const why =
      stats.hits === 1
        ? {}
        : {
            calls: (await store.audit()).map((e) => ({ outcome: e.outcome, reason: e.reason, notStored: e.notStored, stored: Boolean(e.entryKey) })),
            errors: stats.errors, notStored: stats.notStored, daemonLog: store.daemonLog(4000),
          };
    t.equal(stats.hits, 1, 'the second call is a hit', why);
    t.same([...new Set(timingLines(log).map((l) => l.spawn))], [kind], `every call spawned through ${kind}`);
  });

  t.test(`${kind} spawn${forced}: exit codes, signals and a rustc that can't be started`, async (t) => {
    const store = new Store();
    t.teardown(() => store.stop());
    const env = store.env(extra);
    const broken = crate('spawnerr', 'fn main() { let x: u32 = "no"; }\n');
    const plain = await run('rustc', plainArgs(broken), { cwd: broken });
    const r = await run(BIN, binArgs(broken), { cwd: broken, env });
    t.equal(r.code, plain.code, `a compile error keeps rustc's exit code (${plain.code})`);
    t.equal(r.stderr, plain.stderr, 'and its diagnostics');

    // A "rustc" killed by a signal: the call ends as a shell reports it, 128 + the signal.
    const dir = crate('spawnsig', 'fn main() {}\n');
    const killed = join(dir, 'rustc-killed');
    writeFileSync(killed, '#!/bin/sh\nkill -KILL $$\n', { mode: 0o755 });
    const k = await run(BIN, [killed, ...binArgs(dir).slice(1)], { cwd: dir, env });
    t.equal(k.code, 137, 'a rustc killed by SIGKILL: exit code 137');
    writeFileSync(killed, '#!/bin/sh\nkill -ABRT $$\n', { mode: 0o755 });
    const a = await run(BIN, [killed, ...binArgs(dir).slice(1)], { cwd: dir, env });
    t.equal(a.code, 134, 'one that aborts (SIGABRT: an LLVM assertion, a failed allocation): 134, as bash on the exec port says it');

    const missing = join(dir, 'no-such-dir', 'rustc');
    const m = await run(BIN, [missing, ...binArgs(dir).slice(1)], { cwd: dir, env });
    t.equal(m.code, 127, 'a rustc that does not exist: exit code 127, as a shell says it');
    t.match(m.stderr, /^splitcache: cannot run .*no-such-dir\/rustc: no such file\n$/, 'with the reason, in words (not node\'s ENOENT)');
  });

  t.test(`${kind} spawn${forced}: cargo's jobserver reaches rustc`, async (t) => {
    const store = new Store();
    t.teardown(() => store.stop());
    const ws = fileTree({ 'Cargo.toml': '[package]\nname = "spawnws"\nversion = "0.1.0"\nedition = "2021"\n', 'src/main.rs': 'fn main() { println!("jobs"); }\n' }, 'spawnws');
    // SPLITCACHE_CLIENT=node: cargo's pipes would take the exec port, where bash, not the client, runs rustc.
    const r = await store.cargo(ws, ['build', '-j', '2', '--offline'], { ...extra, SPLITCACHE_CLIENT: 'node' });
    t.equal(r.code, 0, r.stderr);
    t.notMatch(r.stderr, /jobserver/, 'rustc found the jobserver cargo handed down (it warns when it cannot)');
    t.equal((await run(join(ws, 'target', 'debug', 'spawnws'), [])).stdout, 'jobs\n');
  });
}
