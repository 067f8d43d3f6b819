/**
 * Reusable buffers for streaming a file through the daemon (hash it, copy it).
 *
 * Reading a whole file into a new Buffer costs more than the copy itself: a
 * large allocation is fresh memory from the kernel, so every 4 KiB page of it
 * faults on first touch, and it is unmapped again when collected. Copying a
 * cold grep build's 194 MB of outputs into a blob dir took 0.9–1.2 s of CPU
 * that way here, against 0.26–0.30 s through one reused buffer.
 *
 * A reused buffer faults too, if it is large: the daemon spawns every rustc,
 * and each spawn forks it, which makes all of its pages copy-on-write again.
 * The first write into each page after a fork then faults. Measured here,
 * each after a fork, 4 MiB against 512 KiB buffers: a 5.4 MB proc-macro (the
 * first extern a bin's key digests after its link) digested in 22.0 against
 * 8.5 ms, copied and digested in 28.3 against 12.7 ms; an 18.9 MB rlib
 * digested in 29.3 against 20.1 ms, copied in 42.7 against 33.2 ms. 256 KiB
 * and 1 MiB came within a few ms of 512 KiB; below that, the thread pool's
 * round trips add up instead (64 KiB: 11.0 ms for the proc-macro).
 */
export const IO_CHUNK = 512 << 10;

/**
 * At most this many buffers exist (2 MiB); a copy waits for one beyond that.
 * It is libuv's default thread pool size, so more copies at once would only
 * queue for a thread instead.
 */
const MAX_CHUNKS = 4;
const idle: Buffer[] = [];
const waiting: ((chunk: Buffer) => void)[] = [];
let made = 0;

/**
 * Runs `fn` with a buffer of IO_CHUNK bytes that is its own until it settles.
 * `fn` must not keep a reference to the buffer (or a view of it) afterwards,
 * nor call withChunk itself (it could wait on its own buffer).
 */
export async function withChunk<T>(fn: (chunk: Buffer) => Promise<T>): Promise<T> {
  const chunk = await take();
  try {
    return await fn(chunk);
  } finally {
    const next = waiting.shift();
    if (next) next(chunk);
    else idle.push(chunk);
  }
}

function take(): Promise<Buffer> | Buffer {
  const free = idle.pop();
  if (free) return free;
  if (made < MAX_CHUNKS) {
    made++;
    return Buffer.allocUnsafeSlow(IO_CHUNK);
  }
  return new Promise((resolve) => waiting.push(resolve));
}
