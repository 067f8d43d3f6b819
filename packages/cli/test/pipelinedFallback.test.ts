import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, BIN, fileTree, ON_PIPES, realRustc, run, Store, tempDir, waitFor } from './helpers.js';

// A lib that cargo pipelines: the daemon relays its metadata notice as soon as rustc writes it, and
// the plain rustc that bash runs once the daemon is gone writes it again. cargo panicked on the second
// (dependency_queue.rs: `called Option::unwrap() on a None value`) and the build failed, exit 101.
t.test("a daemon killed after relaying a pipelined lib's metadata notice: the build still succeeds", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  await store.splitcache(['server', 'start']);
  const fns = Array.from({ length: 800 }, (_, i) => `pub fn f_${i}(x: u64) -> u64 { let mut v: Vec<u64> = (0..x).map(|i| i.wrapping_mul(${i})).collect(); v.sort(); v.iter().fold(${i}, |a, b| a ^ b.rotate_left(3)) }\n`);
  const pkg = (name: string, dep?: string) => `[package]\nname = "${name}"\nversion = "0.1.0"\nedition = "2021"\n${dep ? `[dependencies]\n${dep} = { path = "../${dep}" }\n` : ''}`;
  const ws = fileTree({
    'Cargo.toml': '[workspace]\nmembers = ["big", "mid", "top"]\nresolver = "2"\n',
    'big/Cargo.toml': pkg('big'),
    'big/src/lib.rs': fns.join('') + 'pub fn total() -> u64 { f_0(5) ^ f_700(5) }\n',
    'mid/Cargo.toml': pkg('mid', 'big'),
    'mid/src/lib.rs': 'pub fn go() -> u64 { big::total() + 1 }\n',
    'top/Cargo.toml': pkg('top', 'mid'),
    'top/src/main.rs': 'fn main() { println!("total {}", mid::go()); }\n',
  }, 'pipelined');
  const build = store.cargo(ws, ['build', '-j2']);
  const deps = join(ws, 'target', 'debug', 'deps');
  t.ok(await waitFor(() => existsSync(deps) && readdirSync(deps).some((f) => /^libbig-.*\.rmeta$/.test(f)), 60_000), "big's metadata is out, its code still compiling");
  await new Promise((r) => setTimeout(r, 300));
  store.killDaemon();
  const r = await build;
  assertOk(t, r, 'the build succeeds');
  t.notMatch(r.stderr, /panicked/, 'cargo did not panic');
  t.match(r.stderr, /SPLITCACHE_DAEMON_LOST/, 'and the call says why it built uncached');
  const top = await run(join(ws, 'target', 'debug', 'top'), []);
  t.match([top.code, top.stdout], [0, /^total \d+\n$/], 'the binary runs');
});

/** A one-file lib and rustc's arguments for it as cargo gives them to a lib it pipelines (`--json=…artifacts`, metadata emitted first), plus `more`. */
async function pipelinedLib(name: string, more: string[]) {
  const crate = fileTree({ 'src/lib.rs': 'pub fn answer() -> u32 { 42 }\n' }, name);
  mkdirSync(join(crate, 'out'));
  const args = [await realRustc(), '--crate-name', name, '--edition=2021', 'src/lib.rs', '--error-format=json', '--json=diagnostic-rendered-ansi,artifacts,future-incompat',
    '--crate-type', 'lib', '--emit=dep-info,metadata,link', ...more, '--out-dir', 'out'];
  return { crate, args };
}

t.test("a daemon killed after replaying a pipelined lib's hit, before its exit: the plain rustc's notice is dropped too", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const { crate, args } = await pipelinedLib('pipelib', ['-C', 'embed-bitcode=no', '-C', 'metadata=5eed', '-C', 'extra-filename=-5eed']);
  assertOk(t, await run('/bin/bash', ['-c', ON_PIPES, '_', BIN, ...args], { cwd: crate, env: store.env() }), 'the cold call stores the lib');
  // The hit's call, held after its replay: its timing line goes to a FIFO no one reads, so the
  // daemon waits there, after relaying the notice and before telling bash the call's exit code.
  const fifo = join(tempDir('fifo'), 'timing');
  spawnSync('mkfifo', [fifo]);
  const child = spawn('/bin/bash', ['-c', ON_PIPES, '_', BIN, ...args], { cwd: crate, env: store.env({ SPLITCACHE_TIMING_LOG: fifo, SPLITCACHE_SESSION: 'held' }), stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.resume();
  const ended = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
  t.ok(await waitFor(() => stderr.includes('"emit":"metadata"'), 30_000), 'the hit relays its metadata notice');
  await new Promise((r) => setTimeout(r, 500));
  store.killDaemon();
  t.equal(await ended, 0, 'the call succeeds, built plainly');
  t.match(stderr, /SPLITCACHE_DAEMON_LOST/, 'and says why');
  t.equal(stderr.split('\n').filter((l) => l.includes('"emit":"metadata"')).length, 1, "one metadata notice: the plain rustc's was dropped (before: two, and cargo panicked)");
  t.ok(existsSync(join(crate, 'out', 'libpipelib-5eed.rlib')), 'the rlib is there');
});

t.test("a pass-through of a pipelined lib keeps its metadata notice: cargo starts the crates that need it early", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  // Incremental: the daemon answers `plain`, and bash runs rustc as it was given.
  const { crate, args } = await pipelinedLib('passlib', ['-C', 'incremental=inc']);
  for (const client of ['exec port', 'node']) {
    const r = await run('/bin/bash', ['-c', ON_PIPES, '_', BIN, ...args], { cwd: crate, env: store.env(client === 'node' ? { SPLITCACHE_CLIENT: 'node' } : {}) });
    assertOk(t, r, `${client}: the call succeeds`);
    t.equal(r.stderr.split('\n').filter((l) => l.includes('"emit":"metadata"')).length, 1, `${client}: with its metadata notice (e1b6f29 dropped it on the exec port, and cargo waited for the whole lib)`);
  }
});
