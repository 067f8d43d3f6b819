import t, { type Test } from 'tap';
import { CacheServer } from '@splitcache/remote';
import { initHash } from '@splitcache/hash';
import { UploadQueue } from '../src/uploadQueue.js';
import { cache, checkout, log, open, produce, tmp } from './remoteFixture.js';

// The upload queue's worker runs with no call waiting on it (a daemon's start, a store, a retry
// timer). An index that failed its read of the queue rejected the worker's promise, nothing
// caught it, and node ended the daemon: on every start, with the queue's keys unreadable (a
// review helper's repro). The pass now ends as a failing one, the fault is told, and the items
// stay queued for the retry.
t.before(initHash);

/** A store, a server, and an upload queue between them whose faults told later are collected as `<code> <line>`. */
async function queueTold(t: Test) {
  const server = await CacheServer.start({ dir: tmp('serve'), host: '127.0.0.1', port: 0 });
  t.teardown(() => server.close());
  const a = await open(t);
  const faults: string[] = [];
  const queue = new UploadQueue(cache(t, server.url), { ...a, log, faultLater: (err, after) => faults.push(`${(err as { code?: string }).code} ${after}`) });
  t.teardown(() => queue.stop());
  return { a, faults, queue };
}

t.test('an index fault in the upload queue is told and leaves the items queued; the daemon lives', async (t) => {
  const { a, faults, queue } = await queueTold(t);
  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown) => unhandled.push(err);
  process.on('unhandledRejection', onUnhandled);
  t.teardown(() => void process.off('unhandledRejection', onUnhandled));

  const { entryKey, item } = await produce(a.store, checkout().table, checkout().cwd);
  const queued = a.store.queued.bind(a.store);
  let failing = true;
  a.store.queued = (async (...args: Parameters<typeof queued>) => {
    if (failing) throw Object.assign(new Error('Corruption: block checksum mismatch'), { code: 'LEVEL_CORRUPTION' });
    return queued(...args);
  }) as typeof a.store.queued;
  await queue.enqueue(entryKey, item);
  await new Promise((res) => setTimeout(res, 200));
  t.same(unhandled, [], 'no unhandled rejection (node would end the daemon)');
  t.same(faults, ['LEVEL_CORRUPTION the uploads stay queued'], 'the fault is told once, as a fault with no call to answer');

  failing = false;
  t.same(await queue.flush(5000), { outcome: 'empty', left: 0 }, 'once the index reads, the item goes up');
});

// The index failing as a stored entry's upload is queued: the entry is stored, its upload is not.
// Only logged, that upload was lost without a word to the build, and a damaged index was left to
// the next read to find. Thrown to the call (a mutation audit's: no test held the catch), the call
// said its result was not stored, which it was.
t.test('an index fault queuing an upload is told as such; the call that stored the entry is unharmed', async (t) => {
  const { a, faults, queue } = await queueTold(t);
  const { entryKey, item } = await produce(a.store, checkout().table, checkout().cwd);
  a.store.putQueued = (async () => {
    throw Object.assign(new Error('Corruption: block checksum mismatch'), { code: 'LEVEL_CORRUPTION' });
  }) as typeof a.store.putQueued;
  await t.resolves(queue.enqueue(entryKey, item), 'enqueue resolves');
  t.same(faults, ['LEVEL_CORRUPTION the upload of answer is not queued; its result is stored'], 'the fault is told, as one with no call to answer');
  t.ok(await a.store.getEntry(entryKey), 'the entry is stored');
});

// A build script's crate is `build_script_build` in every package: the line names the call as
// the store's own fault line does (missStores.ts callName), so the build can tell whose upload it was.
t.test("an index fault queuing a build script's upload names its package", async (t) => {
  const { a, faults, queue } = await queueTold(t);
  const { entryKey, item } = await produce(a.store, checkout().table, checkout().cwd);
  a.store.putQueued = (async () => {
    throw Object.assign(new Error('IO error: write failed'), { code: 'LEVEL_IO_ERROR' });
  }) as typeof a.store.putQueued;
  await queue.enqueue(entryKey, { ...item, crateName: 'build_script_build' }, "serde's build script");
  t.same(faults, ["LEVEL_IO_ERROR the upload of serde's build script is not queued; its result is stored"], 'named as the call is');
});
