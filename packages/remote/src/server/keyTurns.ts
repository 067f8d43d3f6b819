/**
 * The changes of one key, one at a time, in the order they came: each PUT of it (a blob's file placed,
 * then its item recorded), and its eviction (the item dropped, then the file removed). Eviction that
 * went between a PUT's two steps, or a PUT between eviction's, removed the file a PUT had just placed:
 * the PUT was answered 201 (or 204), and the next GET of the blob was a 404 (evictPutRace.test.ts).
 */
export class KeyTurns {
  private readonly turns = new Map<string, Promise<unknown>>();

  /** Whether a change of `id` is under way or waiting its turn. */
  has(id: string): boolean {
    return this.turns.has(id);
  }

  /** Runs `fn` once every change of `id` that came before it has ended, however it ended. */
  async run<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.turns.get(id);
    const mine = (async () => {
      if (prev) await prev.catch(() => undefined);
      return fn();
    })();
    this.turns.set(id, mine);
    try {
      return await mine;
    } finally {
      if (this.turns.get(id) === mine) this.turns.delete(id);
    }
  }

  /** Runs `fn` now, if no change of `id` is under way; undefined where one is, without waiting for it. */
  async runIfFree<T>(id: string, fn: () => Promise<T>): Promise<T | undefined> {
    return this.turns.has(id) ? undefined : this.run(id, fn);
  }
}
