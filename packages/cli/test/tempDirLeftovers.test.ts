import t from 'tap';
import { chmodSync, chownSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { callAsOtherUid, OTHER_UID, otherUidCrate, otherUidDir, otherUidToolchain, splitcacheAsOtherUid, twoSilentCallsAsOtherUid } from './helpers.js';

// A daemon's start clears blobs/tmp of what killed writers left. What it can't remove there (a
// read-only dir another program left, holding a file) stays, and the store opens. Before, the
// failed removal failed the open as `SPLITCACHE_STORE_ACCESS: store … is not writable`: no daemon
// started, every call built uncached and every subcommand exited 1, until it was removed by hand.
// Run as a uid other than root, whom no mode stops.

const toolchain = await otherUidToolchain();
const skip = !toolchain && 'needs root, a uid with no passwd entry, and a toolchain it can run';

t.test('a read-only dir in blobs/tmp: the daemon starts, and the next call hits', { skip }, async (t) => {
  const cwd = otherUidCrate('temp leftovers');
  const env = { SPLITCACHE_DIR: otherUidDir('store') };
  t.teardown(() => void splitcacheAsOtherUid(['server', 'stop'], env));
  twoSilentCallsAsOtherUid(t, toolchain!, cwd, env);
  t.equal(splitcacheAsOtherUid(['server', 'stop'], env).status, 0, 'the daemon stops');
  const kept = join(env.SPLITCACHE_DIR, 'blobs', 'tmp', 'kept');
  mkdirSync(kept);
  writeFileSync(join(kept, 'file'), 'another program\'s');
  for (const p of [kept, join(kept, 'file')]) chownSync(p, OTHER_UID, OTHER_UID);
  chmodSync(kept, 0o555);
  const r = callAsOtherUid(toolchain!, cwd, env);
  t.same([r.status, r.stderr], [0, ''], 'the call succeeds silently');
  const stats = splitcacheAsOtherUid(['stats', '--json'], env);
  t.equal(stats.status, 0, `stats answers (${stats.stderr.trim()})`);
  const s = JSON.parse(stats.stdout || '{}') as { hits?: number };
  t.equal(s.hits, 2, 'the call was a hit');
  t.ok(existsSync(join(kept, 'file')), 'what could not be removed stays');
});
