import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '@splitcache/store';
import { AuditWriter } from '../src/auditWriter.js';

// `audit` and `stats --session` flush the writer, then read the log. When the writer's own
// 100 ms flush was writing at that moment, the flush found nothing left to write and returned
// at once, and the read came before the write: a build's only call was missing from `audit`
// (containerEnd.test, in CI: a one-crate build showed no call at all).
t.test('a flush waits for a write already under way, so a read after it sees every line', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-auditwriter-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = await Store.open(dir);
  t.teardown(() => store.close().catch(() => undefined));
  const writer = new AuditWriter(store);
  const crates = async () => {
    const out: string[] = [];
    for await (const e of store.events()) out.push(e.crate);
    return out;
  };
  for (let round = 0; round < 20; round++) {
    writer.add({ session: 's', crate: `c${round}`, crateType: 'lib', outcome: 'hit' });
    void writer.flush(); // as the timer's flush does
    await writer.flush(); // as `audit` does
    const seen = await crates();
    if (!t.ok(seen.includes(`c${round}`), `round ${round}: the line added before the flush is read after it`)) break;
  }
  // Lines added while a write is under way go in a later one, in order.
  writer.add({ session: 's', crate: 'x1', crateType: 'lib', outcome: 'hit' });
  void writer.flush();
  writer.add({ session: 's', crate: 'x2', crateType: 'lib', outcome: 'miss' });
  await writer.flush();
  t.same((await crates()).slice(-2), ['x1', 'x2'], 'both lines, in the order they were added');
});
