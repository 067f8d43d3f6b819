import { write } from 'node:fs';

/**
 * Writes all of `bytes` to the descriptor `fd` (an exec-port caller's stdout or stderr, or
 * cargo's terminal), a write at a time, off the event loop. Resolves once all are written, or
 * at the first error: the reader gone (EPIPE) drops the rest, as a stream would drop it. A write
 * that takes nothing and says no error (a file on a full disk can) ends it too, as the store's
 * writeAll and the node client do, rather than write again for ever.
 */
export function writeAll(fd: number, bytes: Buffer): Promise<void> {
  return new Promise((res) => {
    const step = (off: number) => {
      if (off >= bytes.length) return res();
      write(fd, bytes, off, bytes.length - off, null, (err, n) => {
        if (err || n === 0) return res();
        step(off + n);
      });
    };
    step(0);
  });
}
