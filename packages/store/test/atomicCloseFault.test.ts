import t from 'tap';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// close(2) may report an error after it has released the descriptor (NFS reports a quota's
// EDQUOT, or EIO, at close). The atomic write closed it again: EBADF was thrown over the real
// error (a full quota read as SPLITCACHE_STORE_IO, not STORE_FULL), and the temp file was left
// (beside a replayed output in the user's target dir; a review helper's repro).

t.test('a close that fails: its own error is thrown, and the temp file is removed', async (t) => {
  const realClose = fs.closeSync;
  let failNext = true;
  fs.closeSync = (fd: number) => {
    realClose(fd);
    if (failNext) {
      failNext = false;
      throw Object.assign(new Error('EDQUOT: disk quota exceeded, close'), { code: 'EDQUOT' });
    }
  };
  syncBuiltinESMExports();
  t.teardown(() => {
    fs.closeSync = realClose;
    syncBuiltinESMExports();
  });
  const { writeFileAtomicSync } = await import('../src/writeFileAtomic.js');
  const dir = fs.mkdtempSync(join(tmpdir(), 'atomic-close-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  t.throws(() => writeFileAtomicSync(join(dir, 'out.tmp'), join(dir, 'out'), Buffer.from('bytes'), 0o644), { code: 'EDQUOT' }, "close's own error");
  t.same(fs.readdirSync(dir), [], 'no temp file left, and nothing at the destination');
});
