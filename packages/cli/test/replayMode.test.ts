import t from 'tap';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, fileTree, run, Store } from './helpers.js';

// A hit's files are written by the daemon, which has its own umask: a build under umask 077 got
// world-readable rlibs from a daemon started under 022 (and an output over 1 MiB was always 0644,
// whatever either umask). They now get the mode rustc gives them under the caller's umask, by
// the exec port (the caller's /proc status) and by the node client (its request) alike.

const LIB = {
  'Cargo.toml': '[package]\nname = "moded"\nversion = "0.1.0"\nedition = "2021"\n',
  // 2 MB of data: an rlib and an rmeta over 1 MiB, copied out of their blobs by the kernel.
  'src/lib.rs': 'pub static DATA: [u8; 2_000_000] = [7; 2_000_000];\npub fn get(i: usize) -> u8 { DATA[i] }\n',
};

/** The modes of the files in target/debug/deps, by their kind. */
function depsModes(ws: string): Record<string, string> {
  const deps = join(ws, 'target', 'debug', 'deps');
  const out: Record<string, string> = {};
  for (const f of readdirSync(deps)) out[f.replace(/-[0-9a-f]+\./, '.')] = (statSync(join(deps, f)).mode & 0o777).toString(8);
  return out;
}

const build = (store: Store, ws: string, umask: string, env: NodeJS.ProcessEnv = {}) =>
  run('/bin/sh', ['-c', `umask ${umask}; exec cargo build -q`], { cwd: ws, env: store.env(env) });

for (const client of ['exec port', 'node client'] as const) {
  t.test(`a hit's files have the mode rustc gives them under the build's umask (${client})`, async (t) => {
    const store = new Store();
    t.teardown(() => store.stop());
    const env = client === 'node client' ? { SPLITCACHE_CLIENT: 'node' } : {};
    const ws = fileTree(LIB, 'moded');
    assertOk(t, await build(store, ws, '022', env), 'a build under umask 022 starts the daemon and stores');
    const plain022 = depsModes(ws);
    t.same(plain022, { 'libmoded.rlib': '644', 'libmoded.rmeta': '644', 'moded.d': '644' }, "rustc's own files under 022");
    for (const umask of ['077', '002']) {
      assertOk(t, await run('cargo', ['clean', '-q'], { cwd: ws, env: store.env() }));
      assertOk(t, await build(store, ws, umask, env), `a build under umask ${umask}`);
      t.equal((await store.calls()).at(-1)?.outcome, 'hit', 'hits');
      const want = (0o666 & ~parseInt(umask, 8)).toString(8);
      t.same(depsModes(ws), { 'libmoded.rlib': want, 'libmoded.rmeta': want, 'moded.d': want }, `each file is ${want}, as rustc makes them under ${umask}`);
    }
  });
}
