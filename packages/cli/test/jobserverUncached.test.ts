import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileTree, run, Store, tempDir } from './helpers.js';

// cargo's jobserver reaches rustc through the node client on the paths where it runs rustc
// plainly too, not only on a miss (clientSpawn.test.ts): a call the daemon passes through (an
// incremental one), and a call that finds no daemon to reach. Without the descriptors rustc
// warns "failed to connect to jobserver" on every such call, and runs unthrottled.

const pkg = () =>
  fileTree(
    {
      'Cargo.toml': '[package]\nname = "jobsplain"\nversion = "0.1.0"\nedition = "2021"\n',
      'src/lib.rs': 'pub fn n() -> u32 { 7 }\n',
      'src/main.rs': 'fn main() { println!("jobs {}", jobsplain::n()); }\n',
    },
    'jobsplain',
  );

t.test('a pass-through call (incremental) gets the jobserver from the node client', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = pkg();
  const r = await store.cargo(ws, ['build', '-j', '2', '--offline'], { SPLITCACHE_CLIENT: 'node', CARGO_INCREMENTAL: '1' });
  t.equal(r.code, 0, r.stderr);
  t.notMatch(r.stderr, /jobserver/, 'rustc found the jobserver cargo handed down (it warns when it cannot)');
  t.equal((await run(join(ws, 'target', 'debug', 'jobsplain'), [])).stdout, 'jobs 7\n');
  t.equal((await store.stats()).passthrough.incremental, 2, 'both calls (lib, bin) passed through, as incremental');
});

t.test('a call with no daemon to reach gets the jobserver from the node client', async (t) => {
  const file = join(tempDir('jobsstore'), 'file');
  writeFileSync(file, '');
  const store = new Store(file);
  const ws = pkg();
  const r = await store.cargo(ws, ['build', '-j', '2', '--offline'], { SPLITCACHE_CLIENT: 'node', TMPDIR: tempDir('tmp') });
  t.equal(r.code, 0, r.stderr);
  t.match(r.stderr, /SPLITCACHE_DAEMON_UNREACHABLE/, 'the calls built uncached');
  t.notMatch(r.stderr, /jobserver/, 'rustc found the jobserver cargo handed down');
  t.equal((await run(join(ws, 'target', 'debug', 'jobsplain'), [])).stdout, 'jobs 7\n');
});
