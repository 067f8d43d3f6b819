import { readdir, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { Level } from 'level';
import { pack, unpack } from 'msgpackr';
import { oneLine, SplitcacheError } from '@splitcache/errors';
import { leftOpen, markClosed, markOpen } from './openMark.js';

type Bytes = Uint8Array;
/** 'c': a blob under /cas/ (its bytes are a file); 'a': a record under /ac/ (its bytes are in the index). */
export type Kind = 'c' | 'a';

interface Item {
  size: number;
  atime: number;
}

export interface Totals {
  entries: number;
  bytes: number;
}

/**
 * Free bytes a reopen needs beyond the logs it replays: LevelDB writes what they hold into a
 * new table, and a new log and manifest, as it recovers. With less, a write after a failed one
 * is refused as the disk full, and the index stays open for reads.
 */
const HEAL_MARGIN = 2 << 20;

/**
 * Free inodes a reopen needs: the new table, log and manifest, and a few for the writes racing it.
 * A disk out of inodes with bytes to spare failed the reopen (SPLITCACHE_SERVE_IO), which left the
 * index closed: every GET a 500 or a 507, and readers' builds missed it all (a helper's repro).
 */
const HEAL_INODES = 16;

/** How long after an open that failed a read may try again (each try replays the logs). */
const REOPEN_RETRY_MS = 5_000;

/** Access times are rewritten at most this often per item by default: a hot entry is not a write per GET. */
const TOUCH_GRANULARITY_MS = 60_000;

/**
 * The server's LevelDB index:
 *   `i!<kind><key>`  → { size, atime }    every stored item
 *   `l!<atime><kind><key>` → ''           the same items in last-access order (for LRU eviction)
 *   `v!<key>`        → AC record bytes    records live here; blobs are files
 *   `s!totals`       → { entries, bytes }
 *   `s!open`         → ''                  while a server has it open (openMark.ts)
 * Every change is one atomic batch, so the totals never drift from the items.
 */
export class ServerIndex {
  /** A write failed (a full disk): the log may end in a torn record, so the index is reopened before the next change. */
  private broken = false;

  private constructor(
    private db: Level<string, Bytes>,
    private readonly location: string,
    readonly totals: Totals,
    private readonly granularityMs: number,
    private readonly log?: (line: string) => void,
  ) {}

  /**
   * A read or write that found a damaged table (a file of the index cut short or overwritten:
   * LevelDB opens such an index, and fails each read of the keys in it). Before, every request
   * for those keys was a 500, for good: a reader's lookups opened its breaker, and its build had
   * no remote hit. Now the next write, or this read through one, repairs the index first.
   */
  private damaged: Error | undefined;

  /** Notes a damage `err` shows, and repairs the index (one change at a time, as every write) before the caller rethrows it. */
  private async damagedBy(err: unknown): Promise<void> {
    if (!isDamage(err) || this.closed) return;
    this.damaged ??= err as Error;
    await this.serial(async () => undefined).catch(() => undefined);
  }

  static async open(dir: string, granularityMs = TOUCH_GRANULARITY_MS, log?: (line: string) => void): Promise<ServerIndex> {
    const location = join(dir, 'index');
    let db = await openDb(location);
    let totals = await startTotals(db).catch((err: unknown) => err as Error);
    if (totals instanceof Error && !isDamage(totals)) throw totals;
    if (totals instanceof Error) {
      await db.close();
      db = await repairDb(location, totals, log);
      totals = await countTotals(db);
    }
    await markOpen(db);
    return new ServerIndex(db, location, totals, granularityMs, log);
  }

  /**
   * After a failed write, LevelDB goes on appending to a log that may end in a
   * torn record, and recovery drops what follows it in its block: records
   * acknowledged (201) after a full disk was freed were gone after a restart.
   * Reopened, LevelDB recovers the log now and starts a new one. Not while the
   * disk is still full: the open then failed too, and left the index closed, so
   * every GET and HEAD was a 500 until a record's PUT came after the space was
   * back (a hunting helper's repro). Now such a write is a 507, the index stays
   * open and reads are served; the first write once there is room for the logs
   * it replays reopens it.
   */
  private async heal(): Promise<void> {
    if (this.damaged) return this.reopen();
    if (!this.broken) return;
    const { bytes, inodes } = await freeRoom(this.location);
    const needed = (await logBytes(this.location)) + HEAL_MARGIN;
    if (bytes !== undefined && bytes < needed) {
      throw Object.assign(new Error(`server index ${this.location}: the disk is full (${bytes} bytes free, ${needed} needed to reopen it)`), { code: 'ENOSPC' });
    }
    if (inodes !== undefined && inodes < HEAL_INODES) {
      throw Object.assign(new Error(`server index ${this.location}: no inodes left on its disk (${inodes} free, ${HEAL_INODES} needed to reopen it: df -i)`), { code: 'ENOSPC' });
    }
    await this.reopen();
  }

  private reopening: Promise<void> | undefined;
  private failedOpenAt = 0;
  private closed = false;

  /**
   * Closes the index and opens it again, once for all who ask; an open that fails leaves it
   * closed, and a later use tries again. Never once close() was called: a request still in
   * flight then took the lock again, and a server started next in the process found it held.
   */
  private reopen(): Promise<void> {
    if (this.closed) return Promise.reject(new SplitcacheError('SPLITCACHE_SERVE_IO', `server index ${this.location} is closed`));
    this.reopening ??= (async () => {
      await this.db.close().catch(() => undefined);
      try {
        this.db = this.damaged ? await repairDb(this.location, this.damaged, this.log) : await openDb(this.location);
      } catch (err) {
        this.failedOpenAt = Date.now();
        throw err;
      }
      if (this.damaged) Object.assign(this.totals, await countTotals(this.db));
      this.broken = false;
      this.damaged = undefined;
    })().finally(() => (this.reopening = undefined));
    return this.reopening;
  }

  /** The index for a read, opened again where a reopen that failed left it closed (at most every REOPEN_RETRY_MS). */
  private async live(): Promise<Level<string, Bytes>> {
    if (this.db.status !== 'open' && (this.reopening || Date.now() - this.failedOpenAt >= REOPEN_RETRY_MS)) await this.reopen();
    return this.db;
  }

  async get(kind: Kind, key: string): Promise<Item | undefined> {
    const v = await this.read(`i!${kind}${key}`);
    return v ? (unpack(v) as Item) : undefined;
  }

  async record(key: string): Promise<Buffer | undefined> {
    const v = await this.read(`v!${key}`);
    return v ? Buffer.from(v) : undefined;
  }

  /** One key's value; where the read finds the index damaged, it is repaired and read again. */
  private async read(key: string): Promise<Bytes | undefined> {
    try {
      return await (await this.live()).get(key);
    } catch (err) {
      if (!isDamage(err) || this.damaged || this.reopening) throw err;
      await this.damagedBy(err);
      return (await this.live()).get(key);
    }
  }

  /**
   * Changes that move the totals run one at a time: two concurrent PUTs would
   * otherwise both read the same totals and one update would be lost.
   */
  private queue: Promise<unknown> = Promise.resolve();
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const guarded = async () => {
      await this.heal();
      try {
        return await fn();
      } catch (err) {
        this.broken = true;
        if (isDamage(err)) this.damaged ??= err as Error;
        throw err;
      }
    };
    const run = this.queue.then(guarded, guarded);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Records an item (and an AC record's bytes) in place of the one there, if any, in one batch:
   * a record PUT again, or a blob written again from its body (in the other form, gzip or raw,
   * its size is another: kept as it was, the totals drifted from the files, and `--max-size`
   * evicted by them).
   */
  replace(kind: Kind, key: string, size: number, value?: Uint8Array): Promise<void> {
    return this.serial(() => this.replaceNow(kind, key, size, value));
  }

  private async replaceNow(kind: Kind, key: string, size: number, value: Uint8Array | undefined): Promise<void> {
    const old = await this.get(kind, key);
    const atime = Date.now();
    const totals = { entries: this.totals.entries + (old ? 0 : 1), bytes: this.totals.bytes + size - (old?.size ?? 0) };
    const ops: ({ type: 'put'; key: string; value: Bytes } | { type: 'del'; key: string })[] = [];
    if (old) ops.push({ type: 'del', key: lruKey(old.atime, kind, key) });
    ops.push(
      { type: 'put', key: `i!${kind}${key}`, value: pack({ size, atime }) },
      { type: 'put', key: lruKey(atime, kind, key), value: new Uint8Array(0) },
      { type: 'put', key: 's!totals', value: pack(totals) },
    );
    if (value) ops.push({ type: 'put', key: `v!${key}`, value });
    await this.db.batch(ops);
    Object.assign(this.totals, totals);
  }

  /**
   * Moves an item to the young end of the LRU order (coarsely: see TOUCH_GRANULARITY_MS), in turn with
   * the changes, and only while the index still holds the item as `item` (read by a GET): one replaced
   * since (a PUT of the blob's other form) had its size written back over, and one removed (evicted)
   * came back, each a drift of /status's totals for good (touchRace.test.ts).
   */
  async touch(kind: Kind, key: string, item: Item): Promise<void> {
    if (Date.now() - item.atime < this.granularityMs) return;
    await this.serial(async () => {
      const now = await this.get(kind, key);
      if (!now || now.atime !== item.atime || now.size !== item.size) return;
      const atime = Date.now();
      await this.db.batch([
        { type: 'del', key: lruKey(item.atime, kind, key) },
        { type: 'put', key: lruKey(atime, kind, key), value: new Uint8Array(0) },
        { type: 'put', key: `i!${kind}${key}`, value: pack({ size: item.size, atime }) },
      ]);
    });
  }

  /**
   * Removes an item; with `only`, only while the index holds it as `only` (a GET's read, or eviction's:
   * a PUT since wrote its own). Whether it removed one.
   */
  remove(kind: Kind, key: string, only?: Item): Promise<boolean> {
    return this.serial(() => this.removeNow(kind, key, only));
  }

  private async removeNow(kind: Kind, key: string, only: Item | undefined): Promise<boolean> {
    const item = await this.get(kind, key);
    if (!item || (only && (item.atime !== only.atime || item.size !== only.size))) return false;
    const totals = { entries: this.totals.entries - 1, bytes: this.totals.bytes - item.size };
    await this.db.batch([
      { type: 'del', key: `i!${kind}${key}` },
      { type: 'del', key: lruKey(item.atime, kind, key) },
      { type: 'del', key: `v!${key}` },
      { type: 'put', key: 's!totals', value: pack(totals) },
    ]);
    Object.assign(this.totals, totals);
    return true;
  }

  /**
   * The least recently used items, up to `n` of them, oldest first, each as the index holds it (for
   * evictLru.ts, which removes each only while it is so). An LRU key left behind by two racing touches
   * is dropped on the way.
   */
  async oldest(n: number): Promise<{ kind: Kind; key: string; item: Item }[]> {
    const lru: string[] = [];
    for await (const k of this.db.keys({ gt: 'l!', lt: 'l!~', limit: n })) lru.push(k);
    const out: { kind: Kind; key: string; item: Item }[] = [];
    for (const k of lru) {
      const rest = k.slice(2 + ATIME_WIDTH);
      const kind = rest[0] as Kind;
      const key = rest.slice(1);
      const item = await this.get(kind, key);
      if (!item || lruKey(item.atime, kind, key) !== k) {
        await this.db.del(k);
        continue;
      }
      out.push({ kind, key, item });
    }
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.reopening?.catch(() => undefined);
    // Not after a write that failed: its log may be torn, and the next start counts the totals again.
    if (this.db.status === 'open' && !this.broken && !this.damaged) await markClosed(this.db).catch(() => undefined);
    await this.db.close();
  }
}

/**
 * The bytes this process may still write on the index's file system (root may use the blocks
 * kept for it, bfree; others not, bavail), and its free inodes. Each is undefined where it can't
 * be told (no statfs, a file system that reports no sizes, or no inode count, as btrfs): the
 * reopen is tried.
 */
async function freeRoom(location: string): Promise<{ bytes?: number; inodes?: number }> {
  const st = await statfs(location).catch(() => undefined);
  if (!st) return {};
  return {
    bytes: st.blocks === 0 ? undefined : (process.getuid?.() === 0 ? st.bfree : st.bavail) * st.bsize,
    inodes: st.files === 0 ? undefined : st.ffree,
  };
}

/** The size of the logs a reopen replays. */
async function logBytes(location: string): Promise<number> {
  const names = await readdir(location).catch(() => [] as string[]);
  const sizes = await Promise.all(names.filter((n) => n.endsWith('.log')).map((n) => stat(join(location, n)).then((st) => st.size, () => 0)));
  return sizes.reduce((a, b) => a + b, 0);
}

const ATIME_WIDTH = 10;

function lruKey(atime: number, kind: Kind, key: string): string {
  return `l!${atime.toString(36).padStart(ATIME_WIDTH, '0')}${kind}${key}`;
}

/**
 * A read or write error that says the index's files are damaged: LEVEL_CORRUPTION, or an IO error
 * that is not a full disk, a refusal or a want of descriptors or memory (a table cut short reads as `IO error: …ldb: Invalid argument`).
 */
function isDamage(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  if (code === 'LEVEL_CORRUPTION') return true;
  const text = oneLine(err);
  return code === 'LEVEL_IO_ERROR' && !/No space left|Disk quota|Permission denied|Read-only file system|Operation not permitted|Too many open files|Cannot allocate memory/i.test(text);
}

/** Repairs the closed index at `location` (LevelDB's RepairDB keeps what it can read) and opens it. */
async function repairDb(location: string, why: Error, log?: (line: string) => void): Promise<Level<string, Bytes>> {
  log?.(`SPLITCACHE_SERVE_IO: server index ${location} is damaged (${oneLine(why)}); repairing it: what it lost is a miss, and is uploaded again`);
  await (Level as unknown as { repair(location: string): Promise<void> }).repair(location);
  return openDb(location);
}

/**
 * The totals a server starts with: those saved, or, where the server before never closed the
 * index (openMark.ts), counted again from the items, whose walk reads every table: one damaged
 * (a crash's usual company) fails it, and the caller repairs the index. Before, that start failed
 * (`LEVEL_IO_ERROR: …ldb: Invalid argument`), where one that read only the totals started and
 * repaired the table at its first read (serverIndexRepair.test.ts).
 */
async function startTotals(db: Level<string, Bytes>): Promise<Totals> {
  if (await leftOpen(db)) return countTotals(db);
  const saved = await db.get('s!totals');
  return saved ? (unpack(saved) as Totals) : { entries: 0, bytes: 0 };
}

/** The totals counted from the items (after a repair, which may have lost some, and their totals). */
async function countTotals(db: Level<string, Bytes>): Promise<Totals> {
  const totals = { entries: 0, bytes: 0 };
  for await (const v of db.values({ gt: 'i!', lt: 'i!~' })) {
    totals.entries++;
    totals.bytes += (unpack(v) as Item).size;
  }
  await db.put('s!totals', pack(totals));
  return totals;
}

async function openDb(location: string): Promise<Level<string, Bytes>> {
  const db = new Level<string, Bytes>(location, { valueEncoding: 'view' });
  try {
    await db.open();
  } catch (cause) {
    const code = (cause as { cause?: { code?: string }; code?: string }).cause?.code ?? (cause as { code?: string }).code;
    // The cause's own words name what stopped it (`IO error: …: No space left on device`).
    const inner = (cause as { cause?: unknown }).cause ?? cause;
    const why = code === 'LEVEL_LOCKED' ? 'is locked by another process' : `cannot be opened: ${oneLine(inner)}`;
    throw new SplitcacheError('SPLITCACHE_SERVE_IO', `server index ${location} ${why}`, { cause });
  }
  return db;
}
