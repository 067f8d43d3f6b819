import type { Level } from 'level';

/**
 * The index's mark that a server has it open: put, synced, as a server opens it, and deleted,
 * synced, as it closes. Found at an open, the server before stopped without closing it (a kill,
 * a crash, a power loss), and its totals are counted again from the items (ServerIndex.open).
 * The index's writes are not synced, and a power loss can take back one of them while keeping
 * those after it (the log's pages written back out of order: LevelDB skips a block of zeros and
 * replays the rest): each write carries the totals, so those kept counted the items lost too, for
 * good. `--max-size` then evicted by bytes no item held, and a blob file counted in again by
 * adoptUnindexed.ts was counted twice (`remote/test/indexPowerLoss.test.ts`). Two synced writes
 * per server run; a start after a crash walks the items before it listens (0.7-1.5 s for 100,000
 * here, against 30-70 ms for the open of one closed cleanly).
 */
const OPEN_MARK = 's!open';

type Db = Level<string, Uint8Array>;

/** Whether the server before left the index without closing it (or its mark can't be read). */
export function leftOpen(db: Db): Promise<boolean> {
  return db.get(OPEN_MARK).then(
    (v) => v !== undefined,
    () => true,
  );
}

export function markOpen(db: Db): Promise<void> {
  return db.put(OPEN_MARK, new Uint8Array(0), { sync: true });
}

export function markClosed(db: Db): Promise<void> {
  return db.del(OPEN_MARK, { sync: true });
}
