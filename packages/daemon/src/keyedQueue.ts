/**
 * Work queued per key: runs one task at a time for each key, in the order
 * given, so concurrent builds never race on one manifest. A task that fails
 * does not stop the next.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  /** Runs `fn` once every task queued before it for `key` has ended. */
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await run;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Resolves once the tasks queued for `key` so far have ended (at once if there are none). */
  idle(key: string): Promise<unknown> {
    return this.tails.get(key) ?? Promise.resolve();
  }
}
