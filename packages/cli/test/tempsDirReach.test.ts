import t from 'tap';
import { chmodSync, chownSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, ON_PIPES, otherUidCrate, otherUidDir, printingCrateArgs, splitcacheAsOtherUid } from './helpers.js';
import { asOtherUid, GROUP, NIGHTLY_RUSTC, skipGroupCallers } from './groupCallers.js';

// A `-Z temps-dir` the caller can't reach or make, though the daemon could, or though its own
// mode lets the caller write in it: a plain rustc fails (it can't find or make the dir), and so
// must the call. Through the split, a bin's `-Zno-link` half runs without the option, and a
// call judged writable built the bin where a plain rustc fails.
// - GATE/open/scratch, GATE root:GROUP 0750, open and scratch 0777 (scratch there, or to be
//   made): a caller outside GROUP can't search GATE. The daemon, started in GROUP, judged
//   scratch (or open) by its own mode bits alone, and the call was cached and built.
// - ROOTS/scratch to be made, ROOTS root's 0755: the caller can't make scratch (the check that
//   its nearest dir there may be written in; no test held it).

const CASES = [
  { what: 'there, behind a dir it cannot search', daemonGroups: [GROUP], gated: true, made: true },
  { what: 'to be made, behind a dir it cannot search', daemonGroups: [GROUP], gated: true, made: false },
  { what: 'to be made in a dir it cannot write', daemonGroups: [], gated: false, made: false },
];

for (const client of ['exec port', 'node client']) {
  for (const { what, daemonGroups, gated, made } of CASES) {
    t.test(`-Ztemps-dir ${what}, through the ${client}: the call fails as a plain rustc fails`, { skip: skipGroupCallers }, async (t) => {
      const cwd = otherUidCrate(`temps reach ${client} ${what}`);
      const top = join(cwd, 'top');
      mkdirSync(top);
      chownSync(top, 0, gated ? GROUP : 0);
      chmodSync(top, gated ? 0o750 : 0o755);
      const parent = gated ? join(top, 'open') : top;
      if (gated) {
        mkdirSync(parent);
        chmodSync(parent, 0o777);
      }
      const scratch = join(parent, 'scratch');
      if (made) {
        mkdirSync(scratch);
        chmodSync(scratch, 0o777);
      }
      const args = [...printingCrateArgs(cwd), `-Ztemps-dir=${scratch}`];
      const env: Record<string, string> = { SPLITCACHE_DIR: otherUidDir('store'), ...(client === 'node client' ? { SPLITCACHE_CLIENT: 'node' } : {}) };
      const rustc = NIGHTLY_RUSTC;
      const call = (wrapped = true) => {
        rmSync(join(cwd, 'out', 'trial-t'), { force: true });
        return asOtherUid([], ['/bin/bash', '-c', ON_PIPES, '_', ...(wrapped ? [BIN] : []), rustc, ...args], cwd, env);
      };
      t.teardown(() => void splitcacheAsOtherUid(['server', 'stop'], env));

      const plain = call(false);
      t.not(plain.status, 0, 'a plain rustc fails');
      t.match(plain.stderr, /temps-dir|scratch/, 'for the temps dir');
      t.equal(asOtherUid(daemonGroups, [BIN, 'server', 'start'], cwd, env).status, 0, `a daemon started with groups [${daemonGroups.join(',')}]`);
      for (const round of ['first', 'second']) {
        const r = call();
        t.same([r.status, r.stderr], [plain.status, plain.stderr], `${round} call: the same exit and words as the plain rustc (before: cached, the bin built)`);
      }
      const audit = asOtherUid([], [BIN, 'audit', '--json'], cwd, env);
      const lines = audit.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { outcome: string; reason?: string });
      t.same(lines.map((e) => e.outcome), ['passthrough', 'passthrough'], 'each run plainly');
    });
  }
}
