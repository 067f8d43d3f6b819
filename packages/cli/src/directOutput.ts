import { writeSync } from 'node:fs';

let streamsUsed = false;

/**
 * Writes bytes to stdout (1) or stderr (2) with write(2), not through node's
 * stdio streams. Creating `process.stdout` costs a cold client about 0.2 ms,
 * and for a pipe (cargo's, shared with its other jobs) node switches the
 * descriptor to non-blocking mode. Should the descriptor be non-blocking
 * already (EAGAIN), the rest goes through the stream, which waits for it.
 * Any other error (the reader has gone: EPIPE) drops the output, as a
 * stream would, and so does a write that takes none of it.
 */
export function writeOut(fd: 1 | 2, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) {
    try {
      const wrote = writeSync(fd, bytes, off);
      // None taken and no error (a file system that says so rather than fail): asked again, it says the same for ever.
      if (wrote === 0) return;
      off += wrote;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') return;
      streamsUsed = true;
      (fd === 1 ? process.stdout : process.stderr).write(bytes.subarray(off));
      return;
    }
  }
}

/**
 * Says that stdout and stderr are written through node's streams (a subcommand's
 * output, `process.stdout.write`): the client then waits for them before it exits.
 */
export function streamsInUse(): void {
  streamsUsed = true;
}

/** True once nothing written through a stdio stream is still queued (and at once if none was made). */
export function outputFlushed(): boolean {
  return !streamsUsed || (process.stdout.writableLength === 0 && process.stderr.writableLength === 0);
}

/** Calls `then` once nothing is queued on stdout or stderr (at once if nothing is; else looked at every 10 ms). */
export function whenFlushed(then: () => void): void {
  if (outputFlushed()) return then();
  setTimeout(() => whenFlushed(then), 10);
}
