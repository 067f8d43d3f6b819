import t from 'tap';
import { mkdirSync } from 'node:fs';
import { Store as Index } from '@splitcache/store';
import { assertOk, BIN, printingCrate, printingCrateArgs, realRustc, run, Store } from './helpers.js';

// What subcommands print besides their answer.

t.test('gc on a pipe prints its result and no progress line for a small store', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const crate = printingCrate('gc quietly');
  assertOk(t, await run(BIN, [await realRustc(), ...printingCrateArgs(crate)], { cwd: crate, env: store.env() }), 'a crate is stored');
  const gc = await store.splitcache(['gc']);
  assertOk(t, gc, 'gc runs');
  t.match(gc.stdout, /^gc: evicted 0 of 1 entries, removed 0 blobs \(0 B\); \d+\.\d (KiB|MiB) kept\n$/, 'its one line of result, sizes as stats shows them');
  t.equal(gc.stderr, '', "and nothing else: no 'gc: 1' progress line");
});

t.test('stats shows a size limit past any disk in a unit that fits it', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const env = store.env({ SPLITCACHE_MAX_SIZE: '100000000000000000000T' });
  const r = await run(BIN, ['stats'], { env });
  assertOk(t, r, 'stats runs');
  const size = /^store size +(.*)$/m.exec(r.stdout)?.[1] ?? '';
  t.match(size, /^\d+ B of 9\.5e\+13 EiB \(0\.0 %\), 0 blobs; index \d+(\.\d)? (B|KiB|MiB)$/, `the limit as ${size}`);
  const json = JSON.parse((await run(BIN, ['stats', '--json'], { env })).stdout) as { usage: { maxBytes: number } };
  t.equal(json.usage.maxBytes, 1e20 * 2 ** 40, '--json gives the limit in bytes, as it was');
});

// A store's audit log grows with every call it serves; `splitcache audit` of a store used for
// months prints megabytes, and is read through a pipe (`| grep`, `| jq`, a test's reader).

/** 3,000 calls' lines, written to the store's index before its daemon starts, as earlier daemons would have. */
async function monthsOfCalls(store: Store): Promise<void> {
  mkdirSync(store.dir, { recursive: true });
  const index = await Index.open(store.dir);
  const time = Date.now() - 60_000;
  const events = Array.from({ length: 3000 }, (_, i) => ({ time: time + i, session: 'months', crate: `crate_${i}`, crateType: 'lib', outcome: 'miss' as const, reason: 'new-key', key: 'k'.repeat(32) }));
  await index.appendEvents(events as Parameters<typeof index.appendEvents>[0]);
  await index.close();
}

t.test('a subcommand whose output is larger than a pipe holds prints all of it', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  await monthsOfCalls(store);
  const r = await run(BIN, ['audit', '--json'], { env: store.env() });
  t.equal(r.code, 0);
  const lines = r.stdout.split('\n').filter(Boolean);
  t.ok(r.stdout.length > 128 * 1024, `${r.stdout.length} bytes of output, more than a pipe holds`);
  t.equal(lines.length, 3000, `${lines.length} lines of 3000 reach the reader`);
  t.doesNotThrow(() => lines.forEach((l) => JSON.parse(l)), 'each of them whole');
});

// The reader of such output often wants only its start (`| head`, `| grep -m1`), and goes away.

t.test('a subcommand whose reader goes away ends quietly, as `git log | head -1` does', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  await monthsOfCalls(store);
  for (const args of [['audit'], ['audit', '--json']]) {
    const r = await run('/bin/bash', ['-c', '"$@" | head -1 >/dev/null; exit "${PIPESTATUS[0]}"', '_', BIN, ...args], { env: store.env() });
    const line = `${args.join(' ')} | head -1`;
    t.equal(r.code, 141, `${line}: splitcache exits 141, as a tool that SIGPIPE ends`);
    t.equal(r.stderr, '', `${line}: and says nothing (it printed node's EPIPE stack)`);
  }
});
