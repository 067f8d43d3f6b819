import t from 'tap';
import type { Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initHash } from '@splitcache/hash';
import { Store } from '@splitcache/store';
import { FaultLines } from '../src/faultLines.js';
import { makeLogger } from '../src/log.js';
import { StatsKeeper } from '../src/stats.js';

// What a cache fault shows the build: one line that leads with a SPLITCACHE_* code, and a damaged
// index table, however LevelDB words it, asks for the repair.
/** An error as LevelDB gives one of its files. */
const levelError = (message: string) => Object.assign(new Error(message), { code: 'LEVEL_IO_ERROR' });

/** FaultLines on a store of its own, with `hooks`. */
async function faultLines(t: Test, hooks: { onCorruptIndex?: () => void; onIndexFull?: () => void }): Promise<FaultLines> {
  await initHash();
  const dir = mkdtempSync(join(tmpdir(), 'sc-faults-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = await Store.open(dir);
  t.teardown(() => store.close());
  return new FaultLines({ stats: await StatsKeeper.load(store), log: makeLogger('quiet'), ...hooks });
}

t.test('a fault line leads with a SPLITCACHE_* code, and a table cut short is corruption', async (t) => {
  let repairs = 0;
  const faults = await faultLines(t, { onCorruptIndex: () => repairs++ });
  const cut = levelError('IO error: /s/index/000005.ldb: Invalid argument');
  t.equal(faults.fault(cut), 'splitcache: SPLITCACHE_STORE_CORRUPT: LEVEL_IO_ERROR: IO error: /s/index/000005.ldb: Invalid argument (building uncached)');
  t.equal(repairs, 1, 'a table cut short asks for the repair (before: only LEVEL_CORRUPTION did)');
  const bug = new TypeError("Cannot read properties of null (reading 'map')");
  t.equal(faults.fault(bug), "splitcache: SPLITCACHE_STORE_IO: ERROR: Cannot read properties of null (reading 'map') (building uncached)", 'a fault of no code of its own is SPLITCACHE_STORE_IO');
  const full = levelError('IO error: /s/index/000007.ldb: No space left on device');
  faults.fault(full);
  t.equal(repairs, 1, 'a full disk does not');
});

// `gc` on an index that failed a write for a full disk printed LevelDB's bare `LEVEL_IO_ERROR: …`
// (a hunting helper); the daemon now also restarts once the disk has room (indexFull.ts).
t.test("a request's failure leads with a SPLITCACHE_* code too, and a full index is seen to", async (t) => {
  let full = 0;
  const faults = await faultLines(t, { onIndexFull: () => full++ });
  const sticky = levelError('IO error: /s/index/000005.ldb: No space left on device');
  t.equal(faults.requestLine(sticky), 'SPLITCACHE_STORE_FULL: LEVEL_IO_ERROR: IO error: /s/index/000005.ldb: No space left on device');
  t.equal(full, 1, 'the restart is asked for');
  t.equal(faults.requestLine(new Error('no such crate')), 'ERROR: no such crate', "another error's line is as it was");
  // A child process's error carries a number for its code: the chain's tests take it as no LevelDB's (it threw once).
  t.equal(faults.requestLine(Object.assign(new Error('probe failed'), { code: 1 })), '1: probe failed', 'a numeric code is no LevelDB code');
  t.equal(full, 1);
});

// A fault with no reply of its own, while another's line waits: it was neither counted nor seen
// to (`??=` skipped it), so a damaged index met then asked for no repair (a review's finding).
t.test('a fault while another line waits to be shown is still seen to; the first line is kept', async (t) => {
  let repairs = 0;
  const faults = await faultLines(t, { onCorruptIndex: () => repairs++ });
  faults.faultLater(Object.assign(new Error('gone'), { code: 'ENOENT' }), 'first');
  faults.faultLater(Object.assign(new Error('Corruption: block checksum mismatch'), { code: 'LEVEL_CORRUPTION' }), 'second');
  t.equal(repairs, 1, 'the second, a damaged index, asks for the repair');
  t.match(faults.take(), /SPLITCACHE_STORE_IO: ENOENT: gone \(first\)/, 'the first line is the one shown');
});
