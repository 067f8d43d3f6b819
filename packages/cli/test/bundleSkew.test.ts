import t from 'tap';
import { join } from 'node:path';
import { PROTOCOL_VERSION } from '@splitcache/daemon/protocol';
import { BIN, copyFixture, installWithDaemonPatched, run, Store } from './helpers.js';

// An install whose two bundles were built apart: `npm run build` stopped after the client's
// bundle (the daemon's failed), or one bundle script was run alone. Its daemon bundle speaks an
// older protocol than its client, so it passes each call through and stops, saying it restarts;
// the next call starts the same bundle again. Every call built uncached and printed that line.

/** A copy of the install whose daemon bundle is the real one but for its protocol, one older than the client's. */
function skewedInstall(): string {
  return installWithDaemonPatched(`PROTOCOL_VERSION=${PROTOCOL_VERSION};`, `PROTOCOL_VERSION=${PROTOCOL_VERSION - 1};`);
}

t.test("a daemon bundle of an older protocol than its own install's client: one line that says to rebuild, not one per call that says it restarts", async (t) => {
  const bin = skewedInstall();
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = copyFixture();
  const r = await store.cargo(ws, ['build'], { RUSTC_WRAPPER: bin, SPLITCACHE_CLIENT: 'node' });
  t.equal(r.code, 0, `the build succeeds: ${r.stderr}`);
  const lines = r.stderr.split('\n').filter((l) => l.includes('SPLITCACHE_'));
  t.equal(lines.length, 1, `one splitcache line for the build: ${lines.join('\n')}`);
  t.match(lines[0], `SPLITCACHE_DAEMON_PROTOCOL: this install's daemon bundle speaks protocol ${PROTOCOL_VERSION - 1}, its client ${PROTOCOL_VERSION}`, 'naming the skew');
  t.match(lines[0], `run \`npm run build\` in ${join(bin, '..', '..')} (building uncached)`, 'and the install to rebuild');
  t.notMatch(r.stderr, /while it restarts/, 'not a restart that starts the same daemon again');
  const status = await run(bin, ['server', 'status'], { env: store.env() });
  t.match(status.stdout, `this install's daemon bundle speaks protocol ${PROTOCOL_VERSION - 1}, its client ${PROTOCOL_VERSION}`, `server status says it too: ${status.stdout}${status.stderr}`);
  t.match(status.stdout, '(until then, calls through the node client build uncached)', "naming the calls it costs (bash's, through the exec port, are served)");
});

t.test('an install whose bundles were built together names no skew in `server status`', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  t.equal((await store.splitcache(['server', 'start'])).code, 0, 'a daemon runs');
  const status = await run(BIN, ['server', 'status'], { env: store.env() });
  t.match(status.stdout, /splitcache daemon running/, 'status answers');
  t.notMatch(status.stdout, /daemon bundle speaks protocol/, `and names no skew: ${status.stdout}`);
});
