import t from 'tap';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, BIN, printingCrate, printingCrateArgs, runOnPipes, Store } from './helpers.js';

// daemon.log outlives every daemon of its store, and nothing else ever shortened it: a store
// used for months (under SPLITCACHE_LOG=debug, ~500 bytes a call) kept every line.

t.test('a daemon started on a store whose daemon.log is past 16 MiB moves its lines to daemon.log.1', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  mkdirSync(store.dir, { recursive: true });
  const old = '2026-01-01T00:00:00.000Z debug hit old_crate lib (local)\n';
  writeFileSync(join(store.dir, 'daemon.log'), old.repeat(Math.ceil((20 * 1024 * 1024) / old.length)));
  const cwd = printingCrate('logbound');
  mkdirSync(join(cwd, 'out'), { recursive: true });
  assertOk(t, await runOnPipes(BIN, ['rustc', ...printingCrateArgs(cwd)], { cwd, env: store.env({ SPLITCACHE_LOG: 'debug' }) }), 'a call');
  await store.audit(); // its line is logged by now
  const size = statSync(join(store.dir, 'daemon.log')).size;
  t.ok(size < 1024 * 1024, `daemon.log is ${size} bytes (was 20 MiB)`);
  t.match(readFileSync(join(store.dir, 'daemon.log'), 'utf8'), / debug miss trial bin /, "and has this daemon's lines");
  t.ok(existsSync(join(store.dir, 'daemon.log.1')) && statSync(join(store.dir, 'daemon.log.1')).size >= 20 * 1024 * 1024, 'the old lines are in daemon.log.1');
});
