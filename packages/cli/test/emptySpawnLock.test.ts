import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, copyFixture, hitRate, Store } from './helpers.js';

// A starter killed after it made the spawn lock and before it wrote a pid into it (bin/splitcache
// between its noclobber open and its fork's write; the node client before its spawn) leaves the
// lock empty. It was honoured for its whole 10 s: a build begun then had each of its first calls
// wait ~2 s in bash and 5 s in the node client, then build uncached (the fixture's first build:
// 3 of its 5 calls looked up, 11 s, and its next clean build hit 2 of 5).
t.test('a build with an empty spawn lock left behind caches its calls, and the next clean build hits all of them', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  mkdirSync(store.dir, { recursive: true });
  writeFileSync(join(store.dir, 'daemon.starting'), '');
  const ws = copyFixture();
  const env = { SPLITCACHE_SESSION: 'first' };
  const first = await store.cargo(ws, ['build'], env);
  assertOk(t, first, 'the first build succeeds');
  t.notMatch(first.stderr, /SPLITCACHE_DAEMON_UNREACHABLE/, 'and no call of it built uncached for want of a daemon');
  const firstCalls = hitRate(await store.calls('first'));
  t.equal(firstCalls.total, 5, `every call of it was looked up (${firstCalls.total} of 5; before: 3)`);

  assertOk(t, await store.cargo(ws, ['clean']), 'cargo clean');
  assertOk(t, await store.cargo(ws, ['build'], { SPLITCACHE_SESSION: 'second' }), 'the second build succeeds');
  const second = hitRate(await store.calls('second'));
  t.same({ total: second.total, missed: second.missed }, { total: 5, missed: [] }, 'the next clean build hits every call');
});
