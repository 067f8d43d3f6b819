import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, run, Store, tempDir } from './helpers.js';

// The lines the node client says of a fault it builds uncached for (here a SPLITCACHE_DIR
// naming a file: no daemon can start). It happens to every call of a build at once, so it is
// said once a minute per code (a marker in the temp dir), and under SPLITCACHE_LOG=quiet never
// (docs/CONFIG.md: nothing on stderr).

const notADir = () => {
  const file = join(tempDir('faultstore'), 'file');
  writeFileSync(file, '');
  return file;
};
function crate(name: string): { dir: string; args: string[] } {
  const dir = tempDir(name);
  mkdirSync(join(dir, 'out'));
  writeFileSync(join(dir, 'main.rs'), `fn main() { let unused = 1; println!("${name}"); }\n`);
  return { dir, args: ['--crate-name', name, '--edition=2021', 'main.rs', '--crate-type', 'bin', '--emit=dep-info,link', '-C', 'metadata=9e1', '--out-dir', join(dir, 'out')] };
}

t.test('SPLITCACHE_LOG=quiet: a node client call that builds uncached for a fault says nothing of it', async (t) => {
  const { dir, args } = crate('quietfault');
  const store = notADir();
  const plain = await run('rustc', args, { cwd: dir });
  t.match(plain.stderr, /unused variable/, 'rustc itself warns');
  // Each run with a temp dir of its own: the once-a-minute marker of one must not hide the other's line.
  const env = (extra: NodeJS.ProcessEnv) => new Store(store).env({ SPLITCACHE_CLIENT: 'node', TMPDIR: tempDir('tmp'), ...extra });
  const told = await run(BIN, ['rustc', ...args], { cwd: dir, env: env({}) });
  t.equal(told.code, 0, told.stderr);
  t.match(told.stderr, /^splitcache: SPLITCACHE_DAEMON_UNREACHABLE: .* \(building uncached\)$/m, 'without it, the fault is said');
  const quiet = await run(BIN, ['rustc', ...args], { cwd: dir, env: env({ SPLITCACHE_LOG: 'quiet' }) });
  t.equal(quiet.code, 0, quiet.stderr);
  t.equal(quiet.stderr, plain.stderr, "with it, stderr is rustc's own, byte for byte");
  t.equal((await run(join(dir, 'out', 'quietfault'), [])).stdout, 'quietfault\n', 'and the binary was built');
});

t.test('a fault every call of a build meets is said by the first call, not again within the minute', async (t) => {
  const env = new Store(notADir()).env({ SPLITCACHE_CLIENT: 'node', TMPDIR: tempDir('tmp') });
  const said: string[] = [];
  for (const name of ['oncea', 'onceb', 'oncec']) {
    const { dir, args } = crate(name);
    const r = await run(BIN, ['rustc', ...args], { cwd: dir, env });
    t.equal(r.code, 0, r.stderr);
    t.equal((await run(join(dir, 'out', name), [])).stdout, `${name}\n`, `${name} was built`);
    said.push(...r.stderr.split('\n').filter((l) => l.startsWith('splitcache:')));
  }
  t.equal(said.length, 1, `one line for the three calls: ${JSON.stringify(said)}`);
  t.match(said[0], /^splitcache: SPLITCACHE_DAEMON_UNREACHABLE: the store dir .* is not a directory/);
});
