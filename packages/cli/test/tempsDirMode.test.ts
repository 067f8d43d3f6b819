import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, run, Store, tempDir } from './helpers.js';

// A `-Z temps-dir` not there yet is made by a plain rustc with 0777 less the caller's umask (its
// create_dir_all). Through splitcache a hit runs no rustc, nor does a linked crate's split make
// it, so the daemon makes it, with the mode the caller's umask leaves, not its own, nor 0755: a
// group's member (umask 002) whose hit made it 0755 left a dir the group could no longer write in.

const nightly = spawnSync('rustup', ['which', 'rustc', '--toolchain', 'nightly'], { encoding: 'utf8' });
const NIGHTLY = nightly.status === 0 ? nightly.stdout.trim() : '';
const skip = !NIGHTLY && 'no nightly toolchain';

for (const client of ['exec port', 'node client']) {
  t.test(`a temps dir made for a miss and a hit under umask 002, through the ${client}: 0775, as a plain rustc makes it`, { skip }, async (t) => {
    const store = new Store();
    t.teardown(() => store.stop());
    const env = store.env(client === 'node client' ? { SPLITCACHE_CLIENT: 'node' } : {});
    t.equal((await store.splitcache(['server', 'start'])).code, 0, 'a daemon started (under the umask of this test: 022)');
    const dir = tempDir('temps-mode');
    writeFileSync(join(dir, 'main.rs'), 'fn main() {}\n');
    const args = ['--crate-name', 'tmode', '--edition=2021', 'main.rs', '--crate-type', 'bin', '--emit=dep-info,link', '--out-dir', join(dir, 'out'), '-Ztemps-dir=scratch/inner'];
    const modes = async (argv: string[]) => {
      rmSync(join(dir, 'scratch'), { recursive: true, force: true });
      rmSync(join(dir, 'out'), { recursive: true, force: true });
      mkdirSync(join(dir, 'out'));
      const r = await run('/bin/bash', ['-c', 'umask 002; set -o pipefail; "$@" 2> >(cat >&2) | cat', '_', ...argv], { cwd: dir, env });
      t.same([r.code, r.stderr], [0, ''], `${argv[0] === BIN ? 'through splitcache' : 'plain'}: builds`);
      return ['scratch', 'scratch/inner'].map((d) => (statSync(join(dir, d)).mode & 0o777).toString(8));
    };
    const plain = await modes([NIGHTLY, ...args]);
    t.same(plain, ['775', '775'], 'a plain rustc makes it 0775 under umask 002');
    t.same(await modes([BIN, NIGHTLY, ...args]), plain, 'the miss: as a plain rustc');
    t.same(await modes([BIN, NIGHTLY, ...args]), plain, 'the hit: as a plain rustc (before: 0755, the daemon fell back to it)');
    t.same((await store.audit()).map((e) => e.outcome), ['miss', 'hit'], 'stored, then hit');
  });
}
