import t from 'tap';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

// A hit's output goes out with write(2) in a loop (directOutput.ts). A write that takes none of
// its bytes without an error had the loop ask again for ever, the call never ending; the rest is
// dropped instead, as for a reader that has gone. Only the system's write is replaced here.

t.test('stdout whose writes take nothing: the output is dropped, the call goes on', async (t) => {
  const realWriteSync = fs.writeSync;
  const seen: number[] = [];
  (fs as { writeSync: unknown }).writeSync = (fd: number, bytes: Uint8Array, off = 0) => {
    seen.push(off);
    if (seen.length > 1000) throw Object.assign(new Error('write called 1000 times: the loop spins'), { code: 'SPUN' });
    return seen.length === 1 ? 2 : 0;
  };
  syncBuiltinESMExports();
  t.teardown(() => {
    fs.writeSync = realWriteSync;
    syncBuiltinESMExports();
  });
  const { writeOut, outputFlushed } = await import('../src/directOutput.js');
  writeOut(1, Buffer.from('hello\n'));
  t.same(seen, [0, 2], 'written once in part, asked once more, and then left');
  t.ok(outputFlushed(), 'nothing left queued on a stream to wait for');
});
