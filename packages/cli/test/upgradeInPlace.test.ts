import t from 'tap';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, copyFixture, copyInstall, run, Store, waitFor } from './helpers.js';

// A user upgrades splitcache in place (git pull && npm ci, npm run build) while its
// daemon runs on the store. The protocol is the same, so the upgraded clients talk to
// the old daemon: it must give way, or the old code goes on serving (and writing
// entries) until it idles out, which a build every few minutes never lets it do.

/** A copy of the install whose daemon entry point loads the real bundle: rewriting it is an upgrade in place. */
function install(): { bin: string; daemonMain: string } {
  return copyInstall(`require(${JSON.stringify(join(BIN, '..', '..', 'packages', 'daemon', 'dist', 'bundle', 'main.cjs'))});\n`);
}

t.test('a daemon whose install is rewritten under it serves the call in hand, then gives way to the new one', async (t) => {
  const { bin, daemonMain } = install();
  const store = new Store();
  const env = { RUSTC_WRAPPER: bin };
  t.teardown(() => store.stop());
  const ws = copyFixture();

  const cold = await store.cargo(ws, ['build'], env);
  t.equal(cold.code, 0, `the first build succeeds: ${cold.stderr}`);
  const before = store.daemonPid();

  appendFileSync(daemonMain, '// the next version\n');
  const warm = await store.cargo(ws, ['build'], { ...env, CARGO_TARGET_DIR: join(ws, 'target2') });
  t.equal(warm.code, 0, 'the build across the upgrade succeeds');
  t.notMatch(warm.stderr, /splitcache/, 'and says nothing of splitcache');
  t.equal((await run(join(ws, 'target2', 'debug', 'fx-app'), [])).code, 0, 'its binary runs');
  t.ok(await waitFor(() => { try { return store.daemonPid() !== before; } catch { return false; } }), `the old daemon (${before}) gave way to a new one`);
  t.match(store.daemonLog(), /install .* changed on disk/, 'saying why in daemon.log');

  const again = await store.cargo(ws, ['build'], { ...env, CARGO_TARGET_DIR: join(ws, 'target3') });
  t.equal(again.code, 0);
  const after = store.daemonPid();
  t.not(after, before, 'the next build is served by the new daemon');
  t.equal(store.daemonPid(), after, 'which stays: its install has not changed since it started');
  const calls = await store.calls();
  t.equal(calls.filter((c) => c.outcome === 'miss').length, 5, 'the cold build missed, nothing else did');
  const verify = await store.splitcache(['audit', 'verify']);
  t.equal(verify.code, 0, `audit verify: ${verify.stdout}${verify.stderr}`);
  t.match(verify.stdout + verify.stderr, /, 0 bad, 0 entries evicted/, 'the store is intact');
});
