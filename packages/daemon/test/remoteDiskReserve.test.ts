import t from 'tap';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initHash } from '@splitcache/hash';
import { CacheServer } from '@splitcache/remote';
import { RemoteTier } from '../src/remoteTier.js';
import { UploadQueue } from '../src/uploadQueue.js';
import { cache, checkout, log, MANIFEST, open, produce, tmp } from './remoteFixture.js';

// docs/RELIABILITY.md, the store's disk nearly full: a remote hit's blobs are not fetched onto a
// disk they would leave under the room kept for builds (diskReserve.ts). No test held it (a
// mutation audit's: with the check gone from RemoteTier.fetchBlobs, every test passed, and the
// fetch took the disk's last 150 KiB past its reserve).
t.before(initHash);

/** A tmpfs of `size` on a fresh dir, unmounted at the end; undefined where mounting is not allowed. */
function smallDisk(size: string): string | undefined {
  const dir = tmp('disk');
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]).status !== 0) return undefined;
  t.teardown(() => void spawnSync('umount', ['-l', dir]));
  return dir;
}

const disk = smallDisk('8m');

t.test("a remote hit's blobs are not fetched where they would leave the store's disk under its reserve", { skip: !disk && 'cannot mount a size-limited tmpfs here (needs root)' }, async (t) => {
  const server = await CacheServer.start({ dir: tmp('serve'), host: '127.0.0.1', port: 0 });
  t.teardown(() => server.close());
  const a = await open(t);
  const ca = checkout();
  // 300 KiB that gzip can't shrink: the fetch writes about that much.
  const { entryKey, item } = await produce(a.store, ca.table, ca.cwd, { extra: randomBytes(300 * 1024) });
  const up = new UploadQueue(cache(t, server.url), { ...a, log });
  await up.enqueue(entryKey, item);
  t.same(await up.flush(10_000), { outcome: 'empty', left: 0 }, 'published');

  const b = await open(t, join(disk!, 'store'));
  const cb = checkout();
  const q = { manifestKey: MANIFEST, crateName: 'answer', components: [] as [string, string][], cwd: cb.cwd, table: cb.table, form: '', env: { ANSWER_MODE: 'fast' } };
  // 8 MiB keeps 409.6 KiB free for builds: 550 KiB are left, so the fetch would leave about 240.
  const fs = statfsSync(disk!);
  writeFileSync(join(disk!, 'filler'), Buffer.alloc(fs.bavail * fs.bsize - 550 * 1024));
  const lines: string[] = [];
  const tier = new RemoteTier(cache(t, server.url), { ...b, log, showLater: (_code, line) => lines.push(line) }, false);
  t.same(await tier.fetch(q), { reason: 'remote-error:SPLITCACHE_STORE_FULL' }, 'a miss, naming the full disk');
  t.match(lines, [/^SPLITCACHE_STORE_FULL: the store's disk has [\d.]+ KiB free, and storing this result would leave less than the 409\.6 KiB kept free for builds \(a remote lookup; building without it\)$/], 'the build is told');
  t.ok(statfsSync(disk!).bavail * fs.bsize > 500 * 1024, 'and the room is still there');
  t.equal(b.stats.stats.errors.SPLITCACHE_STORE_FULL, 1, 'counted');
});
