import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { ServerIndex } from '../src/server/serverIndex.js';
import { tmp } from './serverHelpers.js';

// A table of `splitcache serve`'s index cut short (a crash, a disk fault): LevelDB opens the index
// and fails every read of the keys in that table. Before, each such request was a 500 for good.

const KEY = (c: string) => c.repeat(32);

t.test('a read that finds a damaged table repairs the index, once, and the server goes on', async (t) => {
  const dir = tmp('index-repair');
  let index = await ServerIndex.open(dir);
  await index.replace('a', KEY('a'), 1 << 20, new Uint8Array(1 << 20).fill(1));
  await index.close();
  // Opened again, LevelDB writes its log into a table; the second record (and the totals) stay in the new log.
  index = await ServerIndex.open(dir);
  await index.replace('a', KEY('b'), 10, new Uint8Array(10).fill(2));
  await index.close();
  const tables = readdirSync(join(dir, 'index')).filter((f) => f.endsWith('.ldb'));
  t.ok(tables.length > 0, `the first record is in a table (${tables})`);
  // Only that table: the log is replayed into a sound one at the next open, which reads the totals there.
  for (const f of tables) truncateSync(join(dir, 'index', f), statSync(join(dir, 'index', f)).size >> 1);
  const lines: string[] = [];
  index = await ServerIndex.open(dir, undefined, (l) => lines.push(l));
  t.teardown(() => index.close());
  t.same(lines, [], 'the open reads the totals, which are sound: nothing to repair yet');
  t.equal(await index.get('a', KEY('a')), undefined, 'the damaged record is read as not there (a miss), not an error');
  t.equal(lines.length, 1, 'one line');
  t.match(lines[0] ?? '', /^SPLITCACHE_SERVE_IO: server index .* is damaged \(.*000\d+\.ldb.*\); repairing it: what it lost is a miss, and is uploaded again$/, `naming the fault (${lines[0]})`);
  t.same(Buffer.from((await index.record(KEY('b')))!), Buffer.alloc(10, 2), 'the sound record is served');
  t.same(index.totals, { entries: 1, bytes: 10 }, 'the totals are counted again from what is left');
  await index.replace('a', KEY('c'), 3, new Uint8Array(3));
  t.equal(index.totals.entries, 2, 'writes go on');
  t.equal(lines.length, 1, 'and the repair was not done again');
});

t.test('a server killed with its index open, a table of it damaged since, starts: the recount repairs the index', async (t) => {
  const dir = tmp('index-repair-killed');
  let index = await ServerIndex.open(dir);
  for (let i = 0; i < 20; i++) await index.replace('a', KEY(i.toString(16).padStart(2, '0').slice(-1)) + i, 8192, new Uint8Array(8192).fill(i));
  await index.close();
  // A server that opens it (its log written into a table), writes a record, and is killed: its open mark stays (openMark.ts).
  const child = `const { ServerIndex } = await import(${JSON.stringify(new URL('../src/server/serverIndex.js', import.meta.url).href)});
    const index = await ServerIndex.open(${JSON.stringify(dir)});
    await index.replace('a', ${JSON.stringify(KEY('z'))}, 10, new Uint8Array(10).fill(7));
    process.kill(process.pid, 'SIGKILL');`;
  const killed = spawnSync(process.execPath, ['--input-type=module', '-e', child], { encoding: 'utf8' });
  t.equal(killed.signal, 'SIGKILL', `the server was killed with its index open (${killed.stderr.trim()})`);
  // The table of the first 20 records cut short; the totals and the last record are in the log, sound.
  const tables = readdirSync(join(dir, 'index')).filter((f) => f.endsWith('.ldb'));
  t.ok(tables.length > 0, `the first records are in a table (${tables})`);
  for (const f of tables) truncateSync(join(dir, 'index', f), statSync(join(dir, 'index', f)).size >> 1);
  const lines: string[] = [];
  const opened = await ServerIndex.open(dir, undefined, (l) => lines.push(l)).catch((err: unknown) => err as Error);
  t.notOk(opened instanceof Error, `the index opens (${opened instanceof Error ? opened.message : 'opened'})`);
  if (opened instanceof Error) return;
  t.teardown(() => opened.close());
  t.match(lines, [/^SPLITCACHE_SERVE_IO: server index .* is damaged .*; repairing it/], 'repaired, with one line');
  t.same(Buffer.from((await opened.record(KEY('z')))!), Buffer.alloc(10, 7), 'the sound record is served');
  t.same(opened.totals, { entries: 1, bytes: 10 }, 'the totals are counted from what is left');
});
