import t from 'tap';
import { pack, unpack } from 'msgpackr';
import { copyFixture } from './helpers.js';
import { MemoryRemote, Runner, seedRemote } from './remoteHelpers.js';

// A record changed on the server after it was signed fails the check as one of another key does.
// `explain` said only "signed with another SPLITCACHE_SIGNING_KEY than this machine's, or
// unsigned": neither was true, and the one that was (tampering) went unnamed.

t.test("explain names a change since signing among the causes of a record that fails its signature", async (t) => {
  const { items } = await seedRemote(['build'], { SPLITCACHE_SIGNING_KEY: 'team-key' });
  // fx_core's records, the input set and its entry, now say another producer; their signatures stay.
  let changed = 0;
  for (const [path, body] of items) {
    if (!path.startsWith('/ac/')) continue;
    const envelope = unpack(body) as { v: number; payload: Buffer; sig: string | null };
    const record = unpack(envelope.payload) as { crateName?: string; entry?: { producer?: string; crateName?: string; entry?: { producer: string } } };
    if (record.crateName !== 'fx_core' && record.entry?.crateName !== 'fx_core') continue;
    if (record.entry?.entry) record.entry.entry.producer = 'mallory';
    else if (record.entry) record.entry.producer = 'mallory';
    items.set(path, pack({ ...envelope, payload: pack(record) }));
    changed++;
  }
  t.ok(changed > 0, `fx_core's records are changed on the server (${changed})`);
  const remote = await MemoryRemote.start(items);
  t.teardown(() => remote.close());
  const reader = new Runner({ SPLITCACHE_REMOTE: remote.url, SPLITCACHE_SIGNING_KEY: 'team-key', SPLITCACHE_PRODUCER: 'reader' });
  t.teardown(() => reader.stop());
  t.equal((await reader.cargo(copyFixture(), ['build'])).code, 0, 'the reader builds');
  const core = (await reader.audit()).find((e) => e.crate === 'fx_core' && e.crateType === 'lib');
  t.match(core, { outcome: 'miss', reason: /remote-signature/ }, 'fx_core is a miss for its signature, never a hit');
  const explained = await reader.splitcache(['explain', 'fx_core']);
  t.equal(explained.code, 0, 'explain succeeds');
  t.match(explained.stdout, /failed the signature check: .*changed since it was signed/, `explain: ${explained.stdout}`);
  t.notMatch(explained.stdout, /mallory/, 'the forged producer is named nowhere');
});
