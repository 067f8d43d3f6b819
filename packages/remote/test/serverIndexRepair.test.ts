import t from 'tap';
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
