import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, copyFixture, run, Store, tempDir } from './helpers.js';

// Options that only steer the linker (`-C linker`, `-C link-arg`, `-C strip`, …)
// are left out of the key: rustc marks them untracked (they can't change an
// object or metadata), and the link runs on every call with the call's own.
// So a `linker` setting that differs between machines sharing a remote, or a
// switch of linker, keeps every hit, and the link still uses this call's
// linker. cargo passes `-C linker` to every crate, libs included.
const host = /^host: (.+)$/m.exec(execFileSync('rustc', ['-vV'], { encoding: 'utf8' }))![1]!;
const LINKER_VAR = `CARGO_TARGET_${host.toUpperCase().replace(/-/g, '_')}_LINKER`;

function loggingLinker(name: string): { path: string; links: () => number } {
  const dir = tempDir(`linker-${name}`);
  const path = join(dir, 'cc');
  const log = join(dir, 'links.log');
  writeFileSync(path, `#!/bin/sh\necho link >> '${log}'\nexec cc "$@"\n`, { mode: 0o755 });
  return { path, links: () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).length : 0) };
}

t.test('another linker keeps every hit, and the links run with it', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = copyFixture();
  const a = loggingLinker('a');
  const b = loggingLinker('b');
  const build = ['build', '--workspace', '--all-targets'];

  assertOk(t, await store.cargo(ws, build, { [LINKER_VAR]: a.path, RUSTFLAGS: '-C link-arg=-Wl,--build-id=sha1' }), 'a cold build linked by linker A');
  const cold = await store.stats();
  t.ok(cold.misses > 0 && a.links() > 0, `${cold.misses} crates compiled, ${a.links()} links by A`);
  const linkedByA = a.links();

  await store.cargo(ws, ['clean']);
  assertOk(t, await store.cargo(ws, build, { [LINKER_VAR]: b.path, RUSTFLAGS: '-C link-arg=-Wl,--build-id=sha1' }), 'a warm build with linker B');
  const warm = await store.stats();
  t.equal(warm.hits, cold.misses, 'every crate hits');
  t.equal(warm.misses, cold.misses, 'none misses');
  t.equal(a.links(), linkedByA, 'linker A ran no more');
  t.ok(b.links() > 0, `linker B did the links (${b.links()})`);
  t.match((await run(join(ws, 'target/debug/fx-app'), [])).stdout, /hello from Greeter/, 'the bin runs');
});
