import type { Test } from 'tap';
import t from 'tap';
import { join } from 'node:path';
import { assertOk, copyFixture, run, tempDir } from './helpers.js';
import { nginxWithDav, remoteHitRate, Runner, startNginx, startServe } from './remoteHelpers.js';

// Issue 4, what must be shown 1 and 2: two CI runners (separate stores, different
// checkout directories) share one remote; the second gets its first build from it.

async function twoRunners(t: Test, url: string, opts: { runTests: boolean }) {
  const a = new Runner({ SPLITCACHE_REMOTE: url, SPLITCACHE_PRODUCER: 'runner-a' });
  const b = new Runner({ SPLITCACHE_REMOTE: url, SPLITCACHE_PRODUCER: 'runner-b' });
  t.teardown(() => a.stop());
  t.teardown(() => b.stop());
  const wsA = copyFixture(join(tempDir('runner-a'), 'checkout'));
  const wsB = copyFixture(join(tempDir('runner-b'), 'builds', 'elsewhere'));

  assertOk(t, await a.cargo(wsA, ['build', '--all-targets'], { SPLITCACHE_SESSION: 'a' }), 'runner A builds cold');
  const aOut = (await run(join(wsA, 'target/debug/fx-app'), [])).stdout;
  const sA = await a.stats();
  t.equal(sA.misses, 11, 'runner A missed every cacheable call');
  const stop = await a.splitcache(['server', 'stop']);
  t.match(stop.stdout, /stopped/, '`server stop` flushes the upload queue, then stops');

  assertOk(t, await b.cargo(wsB, ['build', '--all-targets'], { SPLITCACHE_SESSION: 'b' }), 'runner B builds');
  const events = await b.audit('b');
  const { rate, cacheable, notRemote } = remoteHitRate(events);
  t.ok(rate >= 0.95, `runner B: ${(rate * 100).toFixed(1)} % of ${cacheable} cacheable calls were remote hits (not: ${notRemote.join(', ') || 'none'})`);
  t.ok(events.filter((e) => e.origin === 'remote').every((e) => e.producer === 'runner-a'), 'remote hits name runner A as producer');
  const sB = await b.stats();
  t.equal((sB as unknown as { remote: Record<string, number> }).remote.hits, sB.hits, 'stats count the remote hits');
  t.same(sB.errors, {}, 'no cache faults on runner B');
  // In words and binary units, as the rest of `stats` (it said `remote: downloadedBytes 141351177`).
  t.match((await b.splitcache(['stats'])).stdout, /^remote: downloaded +\d+\.\d (KiB|MiB)$/m, 'the text form names what was downloaded, in its units');
  t.equal((await run(join(wsB, 'target/debug/fx-app'), [])).stdout, aOut, "runner B's binary runs and prints what A's did");
  t.equal((await run(join(wsB, 'target/debug/examples/demo'), [])).stdout, 'example: 100\n');
  if (opts.runTests) assertOk(t, await b.cargo(wsB, ['test', '--', '--test-threads=1']), "runner B's tests run");
}

t.test('two runners share one `splitcache serve`', async (t) => {
  const serve = await startServe();
  t.teardown(() => serve.stop());
  await twoRunners(t, serve.url, { runTests: true });
  const st = await serve.status();
  t.ok(st.entries >= 11 * 2, `the server holds ${st.entries} items, ${st.bytes} bytes`);
  const client = st.clients['127.0.0.1'];
  t.ok(client && client.hits > 0 && client.puts > 0, '/status counts hits and puts per client');
  t.equal(await serve.stop(), 0, 'serve exits cleanly on SIGTERM');
});

t.test('two runners share a plain nginx with WebDAV PUT', { skip: nginxWithDav() ? false : 'nginx with the dav module is not installed' }, async (t) => {
  const nginx = await startNginx();
  t.teardown(() => nginx.stop());
  await twoRunners(t, nginx.url, { runTests: false });
});

t.test("an nginx whose body size limit is below some blobs: each is refused once, and the producer's job is told why in one line", { skip: nginxWithDav() ? false : 'nginx with the dav module is not installed' }, async (t) => {
  // client_max_body_size left low (nginx's default is 1m): the fixture's largest blob is ~100 kB gzipped.
  const nginx = await startNginx({ maxBody: '50k' });
  t.teardown(() => nginx.stop());
  const a = new Runner({ SPLITCACHE_REMOTE: nginx.url, SPLITCACHE_PRODUCER: 'runner-a' });
  const b = new Runner({ SPLITCACHE_REMOTE: nginx.url, SPLITCACHE_PRODUCER: 'runner-b' });
  t.teardown(() => a.stop());
  t.teardown(() => b.stop());
  const build = await a.cargo(copyFixture(join(tempDir('limit-a'), 'checkout')), ['build', '--all-targets']);
  assertOk(t, build, 'runner A builds');
  // Uploads go on behind the build; the end of the job (`server stop`, which flushes them) says what the build did not.
  const stop = await a.splitcache(['server', 'stop']);
  t.equal(stop.code, 0, 'server stop exits 0');
  const said = `${build.stderr}${stop.stderr}`.split('\n').filter((l) => l.includes('SPLITCACHE_REMOTE'));
  t.equal(said.length, 1, `one line in the whole job (${said.join(' / ')})`);
  t.match(said[0], /^splitcache: SPLITCACHE_REMOTE_TOO_LARGE: an upload to the remote was dropped: PUT \/cache\/cas\/[0-9a-f]{32}: HTTP 413, the server takes no body of \d+ bytes \(raise its limit: nginx's client_max_body_size, splitcache serve's --max-body\)$/, 'naming the status, the size and the setting to raise');
  const s = await a.stats();
  t.ok((s.remote.dropped ?? 0) >= 1, `the entries holding such a blob were dropped (${s.remote.dropped})`);
  t.equal(s.errors.SPLITCACHE_REMOTE_TOO_LARGE, s.remote.dropped, 'each after one refusal: the same body is not sent again');
  t.ok((s.remote.uploads ?? 0) >= 5, `the others went up (${s.remote.uploads})`);
  assertOk(t, await b.cargo(copyFixture(join(tempDir('limit-b'), 'checkout')), ['build', '--all-targets']), 'runner B builds');
  t.ok(((await b.stats()).remote.hits ?? 0) >= 1, 'and hits what went up');
});

t.test('the upload queue survives a daemon restart and a server outage', async (t) => {
  const dir = tempDir('serve-outage');
  let serve = await startServe([], dir);
  const url = serve.url;
  await serve.stop(); // the server is down while runner A builds
  const a = new Runner({ SPLITCACHE_REMOTE: url, SPLITCACHE_PRODUCER: 'runner-a', SPLITCACHE_REMOTE_FLUSH_TIMEOUT: '5' });
  t.teardown(() => a.stop());
  const ws = copyFixture();
  const started = Date.now();
  assertOk(t, await a.cargo(ws, ['build', '--all-targets']), 'A builds with the server down');
  const stop = await a.splitcache(['server', 'stop']);
  t.ok(Date.now() - started < 60_000, 'neither the build nor the stop waited long for a dead server');
  t.match(stop.stdout, /\d+ uploads left/, `the queue is kept: ${stop.stdout.trim()}`);
  t.match(stop.stdout, /uploads left in the queue for the next daemon: SPLITCACHE_REMOTE_HTTP: .*ECONNREFUSED/, 'and the line says why: the server refused the connection');

  serve = await startServe(['--listen', new URL(url).host], dir);
  t.teardown(() => serve.stop());
  t.equal(serve.url, url, 'the server is back on the same address');
  await a.splitcache(['server', 'start']); // a fresh daemon resumes the queue from the index
  const flushed = await a.splitcache(['server', 'stop']);
  t.match(flushed.stdout, /stopped/, flushed.stdout.trim());
  t.notMatch(flushed.stdout, /left/, 'the restarted daemon uploaded the whole queue');
  t.ok((await serve.status()).entries >= 22, 'the server now holds the results');
});
