import t, { type Test } from 'tap';
import fs from 'node:fs';
import { open } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initHash } from '@splitcache/hash';

// write(2) may take none of the bytes it is given without failing (a file system at the edge of
// its space may say so). The store's write loops asked again for ever: a blob write that never
// ended, with the synchronous one holding the daemon's event loop. It is a full disk instead.
// Here the system's write is replaced (only it: the store, its loops and its error mapping are
// the real ones), and gives up after many calls, so a loop that spins fails here rather than hangs.

const SPINS = 1000;
let calls = 0;
const spun = () => Object.assign(new Error(`write was called ${SPINS} times: the loop spins`), { code: 'SPUN' });
const realWriteSync = fs.writeSync;
// FileHandle's class is not exported: its prototype is taken from a handle.
const probe = await open(tmpdir(), 'r');
const proto = Object.getPrototypeOf(probe);
await probe.close();
const realWrite = proto.write;

/** From now on, every write takes none of its bytes (after the first `partial`, which take one each). */
function writesTakeNone(t: Test, partial = 0): void {
  calls = 0;
  (fs as { writeSync: unknown }).writeSync = (fd: number, data: Uint8Array, off?: number) => {
    if (++calls > SPINS) throw spun();
    return calls <= partial ? realWriteSync(fd, data, off ?? 0, 1) : 0;
  };
  syncBuiltinESMExports();
  proto.write = async function (this: unknown, data: Uint8Array, off: number, _len: number, pos: number) {
    if (++calls > SPINS) throw spun();
    return calls <= partial ? realWrite.call(this, data, off, 1, pos) : { bytesWritten: 0, buffer: data };
  };
  t.teardown(() => {
    fs.writeSync = realWriteSync;
    syncBuiltinESMExports();
    proto.write = realWrite;
  });
}

t.before(() => initHash());

for (const [what, size] of [['a small blob (synchronous writes)', 100], ['a large one (staged, thread-pool writes)', 3 * 1024 * 1024]] as const) {
  t.test(`${what} whose writes take nothing: SPLITCACHE_STORE_FULL, and no temp file left`, async (t) => {
    const { BlobDir } = await import('../src/index.js');
    const dir = fs.mkdtempSync(join(tmpdir(), 'zero-write-'));
    t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
    const blobs = new BlobDir(join(dir, 'blobs'));
    await blobs.init();
    writesTakeNone(t, 3);
    await t.rejects(blobs.write(Buffer.alloc(size, 7)), { code: 'SPLITCACHE_STORE_FULL' }, 'a full disk, the store says');
    t.ok(calls > 3 && calls <= 5, `given up at the first write that took nothing (${calls} calls)`);
    t.same(fs.readdirSync(join(dir, 'blobs', 'tmp')), [], 'the temp file is removed');
  });
}

t.test('a replayed file whose writes take nothing: ENOSPC from the atomic writes, not a loop', async (t) => {
  const { writeFileAtomic, writeFileAtomicSync } = await import('../src/index.js');
  const dir = fs.mkdtempSync(join(tmpdir(), 'zero-atomic-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  writesTakeNone(t);
  t.throws(() => writeFileAtomicSync(join(dir, 'a.tmp'), join(dir, 'a'), Buffer.from('bytes'), 0o644), { code: 'ENOSPC' }, 'synchronous');
  await t.rejects(writeFileAtomic(join(dir, 'b.tmp'), join(dir, 'b'), Buffer.from('bytes'), 0o644), { code: 'ENOSPC' }, 'through the thread pool');
  t.same(fs.readdirSync(dir), [], 'neither leaves a file');
});
