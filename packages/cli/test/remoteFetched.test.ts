import t from 'tap';
import { assertOk, copyFixture, lookedUp, type AuditLine } from './helpers.js';
import { MemoryRemote, Runner, seedRemote } from './remoteHelpers.js';

// An entry fetched from the remote is kept in the local store, and later builds hit it there.
// Those local hits still say where the entry came from and what its signature was when it was
// fetched; and one fetched with no key to check it is not served by a daemon that has a key.
// Before, such hits said `local` (`signature: "local"`, which means "produced by this store"),
// and an unchecked download went on hitting after SPLITCACHE_SIGNING_KEY was set (a hunting
// helper's repro).
const KEY = 'team-signing-key-for-tests';
const BUILD = ['build', '--bin', 'fx-app'];

t.test('local hits of fetched entries name the remote and the signature; a daemon with a key serves no unchecked download', async (t) => {
  const { items } = await seedRemote(BUILD, { SPLITCACHE_SIGNING_KEY: KEY });
  const mem = await MemoryRemote.start(items);
  t.teardown(() => mem.close());
  const reader = new Runner({ SPLITCACHE_REMOTE: mem.url, SPLITCACHE_REMOTE_MODE: 'read-only' });
  t.teardown(() => reader.stop());
  const ws = copyFixture();
  const build = async (session: string, extra: NodeJS.ProcessEnv = {}) => {
    assertOk(t, await reader.cargo(ws, ['clean']), 'cargo clean');
    assertOk(t, await reader.cargo(ws, BUILD, { SPLITCACHE_SESSION: session, ...extra }), `build ${session}`);
    const calls = lookedUp(await reader.audit(session)) as (AuditLine & { signature?: string })[];
    const text = (await reader.splitcache(['audit', '--session', session])).stdout.split('\n').filter((l) => / hit /.test(l));
    await reader.stop();
    return { calls, text };
  };
  const all = (calls: AuditLine[], what: (e: AuditLine & { signature?: string }) => boolean) => calls.length > 0 && calls.every(what);

  const first = await build('no-key');
  t.ok(all(first.calls, (e) => e.origin === 'remote' && e.signature === 'unsigned'), 'with no key: remote hits, unchecked');
  const again = await build('no-key-again');
  t.ok(all(again.calls, (e) => e.outcome === 'hit' && e.origin === 'local' && e.signature === 'unsigned'), 'then local hits, which still say unchecked', { calls: again.calls.map((e) => `${e.crate}:${e.origin}:${e.signature}`) });
  t.ok(again.text.length > 0 && again.text.every((l) => / local from runner-a \(fetched from the remote, signature not checked: no SPLITCACHE_SIGNING_KEY\), saved/.test(l)), '`audit` names the remote on each line', { lines: again.text.slice(0, 3) });

  const keyed = await build('key', { SPLITCACHE_SIGNING_KEY: KEY });
  t.ok(all(keyed.calls, (e) => e.origin === 'remote' && e.signature === 'valid'), 'with the key: the unchecked local entries are not served, the signed records are', { calls: keyed.calls.map((e) => `${e.crate}:${e.origin}:${e.signature}`) });
  const keyedAgain = await build('key-again', { SPLITCACHE_SIGNING_KEY: KEY });
  t.ok(all(keyedAgain.calls, (e) => e.outcome === 'hit' && e.origin === 'local' && e.signature === 'valid'), 'then local hits, checked');
  t.ok(keyedAgain.text.every((l) => /\(fetched from the remote, signature valid\), saved/.test(l)), 'and `audit` says so');

  // Another reader: unchecked downloads, then a key that signs none of the remote's records.
  const other = new Runner({ SPLITCACHE_REMOTE: mem.url, SPLITCACHE_REMOTE_MODE: 'read-only' });
  t.teardown(() => other.stop());
  const ws2 = copyFixture();
  assertOk(t, await other.cargo(ws2, BUILD, { SPLITCACHE_SESSION: 'o1' }), 'another reader, no key');
  await other.stop();
  assertOk(t, await other.cargo(ws2, ['clean']), 'cargo clean');
  assertOk(t, await other.cargo(ws2, BUILD, { SPLITCACHE_SESSION: 'o2', SPLITCACHE_SIGNING_KEY: 'another-key' }), 'then with a key the remote does not sign with');
  const o2 = lookedUp(await other.audit('o2'));
  // The crates below the others miss for their unchecked downloads; those above them, compiled
  // against the new builds (a proc-macro's bytes differ), for new keys.
  const unchecked = o2.filter((e) => (e.reason ?? '').split(',').includes('unchecked-download')).map((e) => e.crate);
  t.ok(all(o2, (e) => e.outcome === 'miss') && unchecked.includes('fx_core') && unchecked.includes('fx_derive'), 'every crate misses, those below the rest for their unchecked downloads', { calls: o2.map((e) => `${e.crate}:${e.outcome}:${e.reason}`) });
  const explained = await other.splitcache(['explain', 'fx_core', '--session', 'o2']);
  t.match(explained.stdout, /fetched from the remote when no SPLITCACHE_SIGNING_KEY checked it/, '`explain` says why');
  assertOk(t, await other.cargo(ws2, ['clean']), 'cargo clean');
  assertOk(t, await other.cargo(ws2, BUILD, { SPLITCACHE_SESSION: 'o3', SPLITCACHE_SIGNING_KEY: 'another-key' }), 'and again');
  t.ok(all(lookedUp(await other.audit('o3')), (e) => e.outcome === 'hit' && e.origin === 'local' && (e as { signature?: string }).signature === 'local'), 'now hits of its own compiles');
});
