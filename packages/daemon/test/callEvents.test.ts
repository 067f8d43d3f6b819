import t from 'tap';
import type { AuditEvent } from '@splitcache/store';
import { CallEvents } from '../src/callEvents.js';
import type { Services } from '../src/services.js';

// A miss's audit line says how long it waited for another call's compile of its key, as a hit's
// does (concurrency.test.ts checks the hit): a call whose wait ended without a hit (that compile
// failed, or its client went) compiles itself, and its line dropped the wait (mutation V02).

/** CallEvents over stand-ins, its audit lines kept in `lines`. */
function events() {
  const lines: Omit<AuditEvent, 'time'>[] = [];
  const s = { store: {}, log: { debugging: () => false }, stats: {} } as unknown as Services;
  const ev = new CallEvents(s);
  (ev as unknown as { audit: { add(e: Omit<AuditEvent, 'time'>): void } }).audit = { add: (e) => lines.push(e) };
  return { ev, lines };
}

const facts = { session: 's', inv: { crateName: 'waiter' }, crateType: 'bin', key: { key: 'k1' }, missReason: 'new-key' };

t.test("a miss that waited for another call's compile says so in its line", async (t) => {
  const { ev, lines } = events();
  ev.miss({ ...facts, waitedMs: 1234 }, { entryKey: 'e1' });
  ev.miss(facts, { notStored: 'compile-error' });
  t.match(lines[0], { outcome: 'miss', crate: 'waiter', reason: 'new-key', entryKey: 'e1', waitedMs: 1234 }, 'the wait, with the rest');
  t.equal(lines[1]?.waitedMs, undefined, 'a miss that waited for nobody: no wait');
  t.equal(lines[1]?.notStored, 'compile-error');
});
