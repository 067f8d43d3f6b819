import t from 'tap';
import { chmodSync, chownSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, ON_PIPES, otherUidCrate, otherUidDir, printingCrateArgs, splitcacheAsOtherUid } from './helpers.js';
import { asOtherUid, GROUP, NIGHTLY_RUSTC, skipGroupCallers } from './groupCallers.js';

// `-Z temps-dir=DIR` where DIR is root:GROUP 0770, and the caller is OTHER_UID, in GROUP or not
// (a shell after `newgrp` or `sg`): whether a plain rustc can write its objects there is the
// caller's groups' to say, not those of the client that started the daemon. Before, the daemon
// asked access(2) with its own: a caller in GROUP under a daemon started outside it ran plainly
// (temps-dir-unwritable) where rustc builds, and a caller outside GROUP under a daemon started in
// it was cached, its bin built and a stored crate hit, where a plain rustc fails.

for (const client of ['exec port', 'node client']) {
  t.test(`-Ztemps-dir a group may write in, through the ${client}: the caller's groups decide, not the daemon's`, { skip: skipGroupCallers }, async (t) => {
    const cwd = otherUidCrate(`temps groups ${client}`);
    const scratch = join(cwd, 'scratch');
    mkdirSync(scratch);
    chownSync(scratch, 0, GROUP);
    chmodSync(scratch, 0o770);
    const args = [...printingCrateArgs(cwd), `-Ztemps-dir=${scratch}`];
    const env: Record<string, string> = { SPLITCACHE_DIR: otherUidDir('store'), ...(client === 'node client' ? { SPLITCACHE_CLIENT: 'node' } : {}) };
    const rustc = NIGHTLY_RUSTC;
    const call = (groups: number[], wrapped = true) => {
      rmSync(join(cwd, 'out', 'trial-t'), { force: true });
      return asOtherUid(groups, ['/bin/bash', '-c', ON_PIPES, '_', ...(wrapped ? [BIN] : []), rustc, ...args], cwd, env);
    };
    const daemonWith = (groups: number[]) => {
      asOtherUid([], [BIN, 'server', 'stop'], cwd, env);
      t.equal(asOtherUid(groups, [BIN, 'server', 'start'], cwd, env).status, 0, `a daemon started with groups [${groups.join(',')}]`);
    };
    t.teardown(() => void splitcacheAsOtherUid(['server', 'stop'], env));

    const plainIn = call([GROUP], false);
    t.same([plainIn.status, plainIn.stderr], [0, ''], 'a plain rustc in the group builds');
    const plainOut = call([], false);
    t.not(plainOut.status, 0, 'a plain rustc outside it fails');
    t.match(plainOut.stderr, /could not write output to .*scratch.*Permission denied/, 'as it cannot write its objects there');

    daemonWith([]);
    const miss = call([GROUP]);
    t.same([miss.status, miss.stderr], [0, ''], 'in the group, under a daemon started outside it: the call builds');
    const hit = call([GROUP]);
    t.same([hit.status, hit.stderr], [0, ''], 'and again');

    daemonWith([GROUP]);
    const outside = call([]);
    t.same([outside.status, outside.stderr], [plainOut.status, plainOut.stderr], 'outside the group, under a daemon started in it: the call fails as a plain rustc fails (before: it hit)');

    const audit = asOtherUid([], [BIN, 'audit', '--json'], cwd, env);
    const lines = audit.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { outcome: string; reason?: string });
    t.same(lines.map((e) => [e.outcome, e.reason ?? '']), [['miss', 'new-key'], ['hit', ''], ['passthrough', 'temps-dir-unwritable']], 'stored and hit in the group (before: each ran plainly), run plainly outside it');
  });
}
