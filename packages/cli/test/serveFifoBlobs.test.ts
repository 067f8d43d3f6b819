import t from 'tap';
import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, copyFixture, tempDir } from './helpers.js';
import { remoteHitRate, Runner, startServe } from './remoteHelpers.js';

// Every blob file of `splitcache serve` replaced by a FIFO (what an admin's or a restore's mistake
// can leave under blobs' names). A GET or HEAD of one opened it with a plain open that waited for a
// writer for good: reader B's lookups timed out and opened its breaker, nothing of B's was uploaded,
// and a third runner missed every crate. Now each is a 404 with a SPLITCACHE_SERVE_IO line in the
// server's log: B builds (misses), uploads its own, and C hits all from the remote.

t.test('FIFOs under every blob name on the server: the next runner builds and uploads, the one after hits', async (t) => {
  const serve = await startServe();
  t.teardown(() => serve.stop());
  const runner = (n: string) => {
    const r = new Runner({ SPLITCACHE_REMOTE: serve.url, SPLITCACHE_PRODUCER: n });
    t.teardown(() => r.stop());
    return r;
  };
  const [a, b, c] = [runner('a'), runner('b'), runner('c')];
  const checkout = (n: string) => copyFixture(join(tempDir(`fifo-${n}`), 'checkout'));
  assertOk(t, await a.cargo(checkout('a'), ['build'], { SPLITCACHE_SESSION: 'a' }), 'runner A builds');
  await a.splitcache(['server', 'stop']);
  const serveDir = serve.dir;
  let fifos = 0;
  for (const shard of readdirSync(join(serveDir, 'cas')).filter((n) => /^[0-9a-f]{2}$/.test(n))) {
    for (const name of readdirSync(join(serveDir, 'cas', shard))) {
      const file = join(serveDir, 'cas', shard, name);
      rmSync(file);
      execFileSync('mkfifo', [file]);
      fifos++;
    }
  }
  t.ok(fifos > 5, `${fifos} blob files made FIFOs`);
  assertOk(t, await b.cargo(checkout('b'), ['build'], { SPLITCACHE_SESSION: 'b' }), 'runner B builds');
  await b.splitcache(['server', 'stop']);
  t.match(serve.log(), /SPLITCACHE_SERVE_IO: blob file of [0-9a-f]{32} is a FIFO, not a file: answered 404/, "the server's log says so");
  assertOk(t, await c.cargo(checkout('c'), ['build'], { SPLITCACHE_SESSION: 'c' }), 'runner C builds');
  const hits = remoteHitRate(await c.audit('c'));
  t.same(hits.notRemote, [], `every cacheable call of C is a remote hit (${hits.cacheable})`);
});
