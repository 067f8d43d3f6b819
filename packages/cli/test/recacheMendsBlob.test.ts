import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openAc } from '@splitcache/remote';
import { assertOk, copyFixture, tempDir } from './helpers.js';
import { nginxWithDav, Runner, startNginx } from './remoteHelpers.js';

// A blob damaged on a plain WebDAV server's disk (nginx checks no body) answers its HEAD, so a
// writer's upload took it for there and sent nothing. Where the only writer hits its own store and
// the other runners are read-only, each reader missed that crate for good, and a build with
// SPLITCACHE_RECACHE=1 on the writer, the documented way to redo an entry, did not mend it.

t.test('a SPLITCACHE_RECACHE build sends its blobs again, over a copy damaged on the server', { skip: nginxWithDav() ? false : 'nginx with the dav module is not installed' }, async (t) => {
  const nginx = await startNginx();
  t.teardown(() => nginx.stop());
  const writer = new Runner({ SPLITCACHE_REMOTE: nginx.url, SPLITCACHE_PRODUCER: 'writer' });
  const readers = ['r1', 'r2'].map((n) => new Runner({ SPLITCACHE_REMOTE: nginx.url, SPLITCACHE_REMOTE_MODE: 'read-only', SPLITCACHE_PRODUCER: n }));
  for (const r of [writer, ...readers]) t.teardown(() => r.stop());
  const [r1, r2] = readers as [Runner, Runner];
  const ws = copyFixture(join(tempDir('recache-mend'), 'checkout'));

  assertOk(t, await writer.cargo(ws, ['build'], { SPLITCACHE_SESSION: 'cold' }), 'the writer builds cold');
  t.match((await writer.splitcache(['server', 'stop'])).stdout, /stopped/, 'its uploads are flushed');
  const core = (await writer.audit('cold')).find((e) => e.crate === 'fx_core' && e.crateType === 'lib');
  t.ok(core?.entryKey, "the writer's audit names fx_core's entry");
  const entry = openAc(readFileSync(join(nginx.files, 'ac', core!.entryKey!)), 'entry', core!.entryKey!, undefined).entry;
  const damaged = join(nginx.files, 'cas', entry.outputs[0]!.digest);
  writeFileSync(damaged, 'not the blob this name promises\n');

  const ws1 = copyFixture(join(tempDir('recache-mend-r1'), 'checkout'));
  assertOk(t, await r1.cargo(ws1, ['build'], { SPLITCACHE_SESSION: 'r1' }), 'a read-only reader builds');
  const r1Core = (await r1.audit('r1')).find((e) => e.crate === 'fx_core' && e.crateType === 'lib');
  t.equal(r1Core?.outcome, 'miss', 'and misses fx_core: its blob on the server is damaged');

  assertOk(t, await writer.cargo(ws, ['clean']), 'the writer cleans');
  assertOk(t, await writer.cargo(ws, ['build'], { SPLITCACHE_SESSION: 'recache', SPLITCACHE_RECACHE: '1' }), 'and builds with SPLITCACHE_RECACHE=1');
  t.match((await writer.splitcache(['server', 'stop'])).stdout, /stopped/, 'its uploads are flushed');
  t.notSame(readFileSync(damaged, 'utf8'), 'not the blob this name promises\n', 'the damaged copy was sent again');

  const ws2 = copyFixture(join(tempDir('recache-mend-r2'), 'checkout'));
  assertOk(t, await r2.cargo(ws2, ['build'], { SPLITCACHE_SESSION: 'r2' }), 'a fresh read-only reader builds');
  const r2Core = (await r2.audit('r2')).find((e) => e.crate === 'fx_core' && e.crateType === 'lib');
  t.equal(r2Core?.outcome, 'hit', `and hits fx_core (${r2Core?.outcome} ${r2Core?.reason ?? ''})`);
  t.equal(r2Core?.origin, 'remote', 'from the remote');
});
