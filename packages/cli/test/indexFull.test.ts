import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { alive, assertOk, BIN, run, Store, tempDir, waitFor } from './helpers.js';

// A store whose index's disk filled just as LevelDB wrote a table (a hunting helper's repro):
// LevelDB takes every write after that for failed too, until it is opened again. Before, the
// daemon stored nothing more once space was freed, and builds said nothing of splitcache (their
// audit lines, of which the summary is made, were lost), until the daemon was stopped.
// The index is on a tmpfs of its own, filled so that an entry's log record fits and the table
// LevelDB writes after it does not; each entry holds ~2.4 MB of warnings.

const store = new Store(tempDir('index-full'));
const index = join(store.dir, 'index');
mkdirSync(index);
const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', index]).status === 0;

const ws = tempDir('noisy');
writeFileSync(join(ws, 'Cargo.toml'), '[package]\nname = "noisy"\nversion = "0.1.0"\nedition = "2021"\n[lib]\npath = "src/lib.rs"\n');
mkdirSync(join(ws, 'src'));
/** Version `v` of a crate of 1500 warnings: each version is a result of its own. */
function version(v: number): void {
  const fns = Array.from({ length: 1500 }, (_, i) => `pub fn f${i}() { let unused_variable_number_${i} = ${i}; }\n`);
  writeFileSync(join(ws, 'src', 'lib.rs'), `// v${v}\n${fns.join('')}`);
}
async function build(v: number) {
  version(v);
  rmSync(join(ws, 'target'), { recursive: true, force: true });
  // Through `splitcache cargo`, which says the build's summary line.
  return run(BIN, ['cargo', 'build'], { cwd: ws, env: store.env() });
}
const summary = (stderr: string) => /^splitcache: \d+ hits? .*; session \S+$/m.exec(stderr)?.[0];
const logBytes = () => readdirSync(index).filter((f) => f.endsWith('.log')).reduce((n, f) => n + statSync(join(index, f)).size, 0);

t.test('an index that failed a table write for a full disk: summaries go on, and the daemon restarts once there is room', { skip: !mounted && 'cannot mount a size-limited tmpfs here (needs root)' }, async (t) => {
  t.teardown(async () => {
    await store.stop();
    spawnSync('umount', ['-l', index]);
  });
  const first = await build(0);
  assertOk(t, first);
  t.match(summary(first.stderr), /0 hits .*1 miss/, 'a miss, stored');
  // Room for the next entry's log record (as large as this one's) and 200 KiB, not for the table after it (~450 KB).
  const fs = statfsSync(index);
  writeFileSync(join(index, 'filler'), Buffer.alloc(fs.bavail * fs.bsize - logBytes() - 200 * 1024));
  assertOk(t, await build(1), 'the build that fills the disk succeeds');
  // LevelDB writes the table in the background, and says so in its own LOG.
  const levelLog = () => (existsSync(join(index, 'LOG')) ? readFileSync(join(index, 'LOG'), 'utf8') : '');
  t.ok(await waitFor(() => /table #\d+: .*No space left on device/.test(levelLog()), 10_000), `its table write failed: ${levelLog().slice(-300)}`);
  rmSync(join(index, 'filler'));
  const before = store.daemonPid();

  const stuck = await build(2);
  assertOk(t, stuck, 'a build on the index that failed succeeds');
  if (!t.match(store.daemonLog(), /SPLITCACHE_STORE_FULL: the index failed a write for a full disk/, 'the index took the failed table write for good (else this test tests nothing)')) {
    t.comment(`index: ${readdirSync(index).map((f) => `${f} ${statSync(join(index, f)).size}`).join(', ')}`);
  }
  t.match(summary(stuck.stderr), /1 miss/, `its summary is said, from the audit lines the log could not take: ${stuck.stderr.slice(-400)}`);
  t.ok(await waitFor(() => store.daemonLog().includes('has room again'), 15_000), 'the daemon sees the room, and restarts');
  t.ok(await waitFor(() => !alive(before), 10_000), 'the daemon whose index failed has ended');

  const miss = await build(3);
  assertOk(t, miss);
  const hit = await build(3);
  assertOk(t, hit);
  t.match(summary(hit.stderr), /1 hit \(100 %\)/, `results are stored again: ${summary(miss.stderr)} then ${summary(hit.stderr)}`);
  t.not(store.daemonPid(), before, 'by a new daemon');
});
