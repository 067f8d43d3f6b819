import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Store } from '@splitcache/store';
import { readConfig } from '../src/config.js';
import { makeLogger } from '../src/log.js';
import { Maintenance } from '../src/maintenance.js';
import { StatsKeeper } from '../src/stats.js';

const quiet = async (store: Store) => ({ log: makeLogger('quiet'), stats: await StatsKeeper.load(store), showLater: () => undefined });

// A store under its size limit never runs gc, so the daemon trims the audit log by itself a
// while after it starts: lines older than SPLITCACHE_AUDIT_DAYS go, the rest stay.
t.test('a daemon start trims the audit log to SPLITCACHE_AUDIT_DAYS; 0 keeps it whole', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-audittrim-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = await Store.open(dir);
  t.teardown(() => store.close().catch(() => undefined));
  const now = Date.now();
  const line = (daysAgo: number, crate: string) => ({ time: now - daysAgo * 864e5, session: 's', crate, crateType: 'lib', outcome: 'hit' as const });
  await store.appendEvents([line(40, 'old'), line(10, 'recent')]);
  const crates = async () => {
    const out: string[] = [];
    for await (const e of store.events()) out.push(e.crate);
    return out;
  };

  new Maintenance(store, readConfig({ SPLITCACHE_DIR: dir, SPLITCACHE_AUDIT_DAYS: '0' }), await quiet(store)).trimAuditLater(0);
  await sleep(200);
  t.same(await crates(), ['old', 'recent'], '0: kept for good');

  new Maintenance(store, readConfig({ SPLITCACHE_DIR: dir, SPLITCACHE_AUDIT_DAYS: '30' }), await quiet(store)).trimAuditLater(0);
  await sleep(200);
  t.same(await crates(), ['recent'], 'the line older than 30 days is gone');
});

// A daemon kept alive by builds (or SPLITCACHE_IDLE_TIMEOUT=0) for months: its start was long
// ago, and the lines that have aged past SPLITCACHE_AUDIT_DAYS since must go too.
t.test('a daemon trims the audit log again as it runs, not only after its start', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-audittrim-again-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = await Store.open(dir);
  t.teardown(() => store.close().catch(() => undefined));
  const now = Date.now();
  const line = (daysAgo: number, crate: string) => ({ time: now - daysAgo * 864e5, session: 's', crate, crateType: 'lib', outcome: 'hit' as const });
  const crates = async () => {
    const out: string[] = [];
    for await (const e of store.events()) out.push(e.crate);
    return out;
  };
  new Maintenance(store, readConfig({ SPLITCACHE_DIR: dir, SPLITCACHE_AUDIT_DAYS: '30' }), await quiet(store)).trimAuditLater(0, 100);
  await sleep(50);
  // A line that has aged past 30 days since the first trim.
  await store.appendEvents([line(31, 'aged'), line(10, 'recent')]);
  await sleep(400);
  t.same(await crates(), ['recent'], 'the line aged since the start is gone');
});
