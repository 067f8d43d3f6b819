import t from 'tap';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { openAc } from '@splitcache/remote';
import { assertOk, copyFixture, lookedUp, run, tempDir } from './helpers.js';
import { nginxWithDav, Runner, startNginx } from './remoteHelpers.js';

// A record whose blobs the server lost (nginx's documented eviction, `find … -delete`, removes
// files one by one; `splitcache serve --max-size` evicts blobs and records apart) is a miss for
// every reader. A runner in another checkout then builds the crate, but its objects differ from
// the producer's (debuginfo names the checkout), so its blobs can't fill the holes: it must put
// its own entry in place of the broken one, or the crate misses on every runner for good.

t.test('an entry whose blobs were evicted is replaced by the next runner that builds it', { skip: nginxWithDav() ? false : 'nginx with the dav module is not installed' }, async (t) => {
  const nginx = await startNginx();
  t.teardown(() => nginx.stop());
  const runners = ['a', 'b', 'c'].map((n) => new Runner({ SPLITCACHE_REMOTE: nginx.url, SPLITCACHE_PRODUCER: `runner-${n}` }));
  for (const r of runners) t.teardown(() => r.stop());
  const [a, b, c] = runners as [Runner, Runner, Runner];
  const wsA = copyFixture(join(tempDir('evict-a'), 'checkout'));
  const wsB = copyFixture(join(tempDir('evict-b'), 'builds', 'b'));
  const wsC = copyFixture(join(tempDir('evict-c'), 'elsewhere', 'c'));

  assertOk(t, await a.cargo(wsA, ['build'], { SPLITCACHE_SESSION: 'a' }), 'runner A builds cold');
  // A fresh runner's explain said only "no earlier entry", as if the remote had not been asked (a helper's finding).
  t.match((await a.splitcache(['explain', 'fx_core', '--type', 'lib'])).stdout, /^fx_core missed because no earlier entry of this crate exists\n  the remote could not serve it either: it has nothing under this key/, "A's explain says the remote, asked, had nothing");
  t.match((await a.splitcache(['server', 'stop'])).stdout, /stopped/, "A's uploads are flushed");
  const core = (await a.audit('a')).find((e) => e.crate === 'fx_core' && e.crateType === 'lib');
  t.ok(core?.entryKey, "A's audit names fx_core's entry");
  const entry = openAc(readFileSync(join(nginx.files, 'ac', core!.entryKey!)), 'entry', core!.entryKey!, undefined).entry;
  // The server loses every blob of fx_core's entry, and keeps the record.
  for (const o of entry.outputs) rmSync(join(nginx.files, 'cas', o.digest), { force: true });

  assertOk(t, await b.cargo(wsB, ['build'], { SPLITCACHE_SESSION: 'b' }), 'runner B builds');
  const bCore = (await b.audit('b')).find((e) => e.crate === 'fx_core' && e.crateType === 'lib');
  t.equal(bCore?.outcome, 'miss', 'B misses fx_core: its blobs are gone');
  t.equal(bCore?.entryKey, core!.entryKey, 'under the same entry key as A');
  t.match(bCore?.reason ?? '', /remote-blob-missing/, `its audit event says why: ${bCore?.reason}`);
  t.match((await b.splitcache(['audit', '--crate', 'fx_core'])).stdout, /miss .*remote-blob-missing/, '`splitcache audit` says so too');
  // Before, explain gave the local reason alone ("no earlier entry of this crate exists"), as if the remote had nothing.
  t.match((await b.splitcache(['explain', 'fx_core', '--type', 'lib'])).stdout, /\n  the remote could not serve it either: it has an entry for these inputs, but a blob the entry names is gone from the server/, '`splitcache explain` says the remote had it');
  t.match((await b.splitcache(['server', 'stop'])).stdout, /stopped/, "B's uploads are flushed");

  assertOk(t, await c.cargo(wsC, ['build'], { SPLITCACHE_SESSION: 'c' }), 'runner C builds');
  const cCore = (await c.audit('c')).find((e) => e.crate === 'fx_core' && e.crateType === 'lib');
  t.equal(cCore?.outcome, 'hit', `runner C hits fx_core (${cCore?.outcome} ${cCore?.reason ?? ''})`);
  t.equal(cCore?.origin, 'remote', 'from the remote');
  t.equal(cCore?.producer, 'runner-b', "B's entry, whose blobs are there");
  t.match((await c.splitcache(['audit', '--crate', 'fx_core'])).stdout, /hit .* remote from runner-b \(signature not checked: no SPLITCACHE_SIGNING_KEY\), saved/, '`splitcache audit` says the producer name is unchecked (no key is set)');
  const cNotRemote = lookedUp(await c.audit('c')).filter((e) => !(e.outcome === 'hit' && e.origin === 'remote'));
  t.same(cNotRemote.map((e) => `${e.crate}:${e.outcome}`), [], 'every cacheable call of C is a remote hit');
  t.equal((await run(join(wsC, 'target/debug/fx-app'), [])).stdout, (await run(join(wsA, 'target/debug/fx-app'), [])).stdout, "C's binary prints what A's does");
  t.ok(existsSync(join(nginx.files, 'ac', core!.entryKey!)), 'the record is there');
});
