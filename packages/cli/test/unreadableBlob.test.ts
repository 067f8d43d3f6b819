import t from 'tap';
import { chmodSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { callAsOtherUid, otherUidCrate, otherUidDir, otherUidToolchain, splitcacheAsOtherUid, twoSilentCallsAsOtherUid } from './helpers.js';

// A blob its daemon's user can't read (made 0000 by a backup restore, a chmod -R gone wrong) is
// missing: the hit misses with one line, and the blob is removed, so the miss's store writes it
// anew and the next call hits. Before, the store found its name taken and kept it, and every call
// after missed (`replay-failed:SPLITCACHE_BLOB_MISSING`) until `audit verify`. Run as a uid other
// than root, whom no mode stops.

const toolchain = await otherUidToolchain();
const skip = !toolchain && 'needs root, a uid with no passwd entry, and a toolchain it can run';

t.test('blobs made 0000: one miss with one line, then hits again', { skip }, async (t) => {
  const cwd = otherUidCrate('unreadable blob');
  const env = { SPLITCACHE_DIR: otherUidDir('store') };
  t.teardown(() => void splitcacheAsOtherUid(['server', 'stop'], env));
  twoSilentCallsAsOtherUid(t, toolchain!, cwd, env);
  const blobs = join(env.SPLITCACHE_DIR, 'blobs');
  for (const shard of readdirSync(blobs).filter((s) => /^[0-9a-f]{2}$/.test(s))) for (const f of readdirSync(join(blobs, shard))) chmodSync(join(blobs, shard, f), 0);
  const miss = callAsOtherUid(toolchain!, cwd, env);
  t.equal(miss.status, 0, 'the call succeeds');
  t.match(miss.stderr, /^splitcache: SPLITCACHE_BLOB_MISSING: blob \w+ cannot be read: EACCES \(removed: the next store of it writes it anew\) \(the entry of trial is evicted; compiling it again\)\n$/, 'with one line');
  const next = callAsOtherUid(toolchain!, cwd, env);
  t.same([next.status, next.stderr], [0, ''], 'the next call succeeds silently');
  const stats = splitcacheAsOtherUid(['stats', '--json'], env);
  const s = JSON.parse(stats.stdout || '{}') as { hits?: number; misses?: number };
  t.same([s.hits, s.misses], [2, 2], 'and hits: the miss stored the blobs anew');
});
