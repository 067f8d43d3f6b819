import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, utimesSync, watch } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { digestBytes, initHash } from '@splitcache/hash';
import { CacheServer } from '../src/index.js';
import { canLoopMount, mountFreshExt4, mountImage, sh, tmp } from './serverHelpers.js';

// A blob whose directory sync fails after its rename (server/placeBlob.ts) is answered 500, and its
// file, whole (its data was synced before the rename), is left where it is, unindexed: not served
// (a HEAD is a 404, so the writer's queued upload PUTs it again), counted in by the next start if its
// name outlived the fault, and written again by the next PUT. Here the failure is real: the blob dir
// is an ext4 file system on a loop device, shut down (EXT4_IOC_SHUTDOWN, as the kernel does on a
// journal write that failed) the moment the blob's name appears in its shard dir, before the server's
// fsync of that dir (the watch's callback runs in the server's own event loop, and blocks it while the
// file system is shut down). docs/RELIABILITY.md says why the file is not removed.

/** Shuts the ext4 file system at `mnt` down: `flush`, its journal written first (the rename kept), else not (the rename lost). */
function shutDown(mnt: string, flush: boolean): void {
  const py = `import fcntl, os, struct; fd = os.open(${JSON.stringify(mnt)}, os.O_RDONLY); fcntl.ioctl(fd, 0x8004587d, struct.pack('I', ${flush ? 1 : 2}))`;
  const r = spawnSync('python3', ['-c', py], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`shutdown of ${mnt}: ${r.stderr.trim()}`);
}

const canLoop = canLoopMount('python3');

t.before(initHash);

for (const flush of [true, false]) {
  const kept = flush ? 'its name kept (the journal flushed as it went down)' : 'its name lost (the journal not flushed)';
  t.test(`a blob whose dir sync fails is answered 500 and not served; after the fault, ${kept}`, { skip: !canLoop && 'needs root, losetup with a free loop device, mkfs.ext4 and python3' }, async (t) => {
    const dir = tmp('sc-dirsync-');
    const image = join(dir, 'disk.img');
    const serveDir = join(dir, 'serve');
    const cas = join(serveDir, 'cas');
    mkdirSync(cas, { recursive: true });
    const dev = mountFreshExt4(t, image, cas);
    const blob = randomBytes(256 * 1024);
    const digest = digestBytes(blob);
    const shard = join(cas, digest.slice(0, 2));
    const file = join(shard, digest.slice(2));
    mkdirSync(shard);
    sh(`sync -f '${cas}'`);

    let s = await CacheServer.start({ dir: serveDir, host: '127.0.0.1', port: 0 });
    let watching = true;
    const watcher = watch(shard, (_event, name) => {
      if (!watching || name !== digest.slice(2)) return;
      watching = false;
      shutDown(cas, flush);
    });
    const put = () => fetch(`${s.url}/cas/${digest}`, { method: 'PUT', body: new Uint8Array(blob) }).then((r) => r.status);
    // A second PUT of the digest, sent at once, waits for the first (one write per key), and gets no 201 either.
    const [first, second] = await Promise.all([put(), put()]);
    watcher.close();
    t.equal(watching, false, 'the blob was renamed into its shard dir before the fault');
    t.equal(first, 500, 'the PUT whose dir sync failed is answered 500');
    t.not(second, 201, 'and so is one of the same digest that waited for it: no 201 for a name not on disk');
    t.equal((await fetch(`${s.url}/cas/${digest}`, { method: 'HEAD' })).status, 404, 'a HEAD finds no blob: the writer (its upload kept for the 500) PUTs it again');
    t.equal((await fetch(`${s.url}/cas/${digest}`)).status, 404, 'nor does a GET serve it');
    t.equal(s.status().entries, 0, 'it is not in the index');
    await s.close(1000);

    // The power comes back: the file system is mounted again (its journal replayed), and the server started on it.
    sh(`umount '${cas}' && mount '${dev}' '${cas}'`);
    if (flush) {
      t.ok(existsSync(file), 'its name outlived the fault (the journal was written)');
      t.ok(existsSync(file) && readFileSync(file).equals(blob), 'whole: its data was synced before the rename');
      // Counted in by a start only when written a second before it at least (a file of its own PUT's is not): the reboot's time passes.
      const old = new Date(Date.now() - 5 * 60_000);
      utimesSync(file, old, old);
    } else t.ok(!existsSync(file) || readFileSync(file).equals(blob), 'its name is gone, or whole');
    s = await CacheServer.start({ dir: serveDir, host: '127.0.0.1', port: 0 });
    t.teardown(() => s.close(1000));
    if (flush) {
      let status = 0;
      for (const end = Date.now() + 10_000; status !== 200 && Date.now() < end; await new Promise((r) => setTimeout(r, 50))) status = (await fetch(`${s.url}/cas/${digest}`, { method: 'HEAD' })).status;
      t.equal(status, 200, 'the next start counts it in (adoptUnindexed.ts)');
      const got = await fetch(`${s.url}/cas/${digest}`);
      t.ok(Buffer.from(await got.arrayBuffer()).equals(blob), 'and serves it whole');
    } else {
      t.equal((await fetch(`${s.url}/cas/${digest}`, { method: 'HEAD' })).status, 404, 'a HEAD finds none');
      t.equal(await put(), 201, 'the PUT sent again is answered 201');
      const got = await fetch(`${s.url}/cas/${digest}`);
      t.ok(Buffer.from(await got.arrayBuffer()).equals(blob), 'and the blob is served whole');
    }
  });
}
