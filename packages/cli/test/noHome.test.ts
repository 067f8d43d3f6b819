/**
 * A uid with no entry in /etc/passwd and no HOME: what `docker run --user 4711`
 * or a Kubernetes `runAsUser` gives a build whose image has no such user, when
 * the environment is made from scratch (`env -i`, a service manager). node's
 * os.homedir() throws there (uv_os_homedir: ENOENT). Before, every rustc call
 * through the node client failed the build with that error, and with
 * SPLITCACHE_DIR set the daemon refused every call for it (each built
 * uncached). Needs root, to run as that uid; the toolchain is bind-mounted
 * read-only under a temp dir, since it may sit under root's private home.
 */
import t from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { callAsOtherUid, otherUidCrate, otherUidDir, otherUidToolchain, splitcacheAsOtherUid, twoSilentCallsAsOtherUid } from './helpers.js';
import { spawnSync } from 'node:child_process';

const toolchain = await otherUidToolchain();
const skip = !toolchain && 'needs root, a uid with no passwd entry, and a toolchain it can run';

t.test('no HOME and no passwd entry, no SPLITCACHE_DIR: the call builds uncached with one line saying what to set', { skip }, async (t) => {
  const cwd = otherUidCrate('no home');
  const tmp = otherUidDir('tmp');
  const first = callAsOtherUid(toolchain!, cwd, { TMPDIR: tmp });
  t.equal(first.status, 0, 'the call succeeds');
  t.match(first.stderr, /^splitcache: SPLITCACHE_DAEMON_UNREACHABLE: no store dir: HOME is unset and uid 4711 has no home directory[^\n]*set SPLITCACHE_DIR[^\n]*\(building uncached\)\n$/, 'one line says what to set');
  t.ok(existsSync(join(cwd, 'out', 'trial-t')), 'the binary is built');
  const second = callAsOtherUid(toolchain!, cwd, { TMPDIR: tmp });
  t.equal(second.status, 0, 'the next call succeeds');
  t.equal(second.stderr, '', 'and says nothing again within the minute');
  const stats = splitcacheAsOtherUid(['stats'], { TMPDIR: tmp });
  t.equal(stats.status, 1, 'a subcommand exits 1');
  t.match(stats.stderr, /^splitcache: SPLITCACHE_DAEMON_UNREACHABLE: no store dir: [^\n]*\n$/, 'with the same one line');
});

t.test('no HOME and no passwd entry, SPLITCACHE_DIR set: the second call hits', { skip }, async (t) => {
  const cwd = otherUidCrate('no home, own store');
  const env = { TMPDIR: otherUidDir('tmp'), SPLITCACHE_DIR: join(otherUidDir('store'), 's') };
  t.teardown(() => void splitcacheAsOtherUid(['server', 'stop'], env));
  twoSilentCallsAsOtherUid(t, toolchain!, cwd, env);
  t.equal(spawnSync(join(cwd, 'out', 'trial-t'), { encoding: 'utf8' }).stdout, 'no home, own store\n', 'the binary runs');
  const stats = splitcacheAsOtherUid(['stats', '--json'], env);
  t.equal(stats.status, 0, 'stats answers');
  const s = JSON.parse(stats.stdout || '{}') as { hits?: number; misses?: number };
  t.equal(s.misses, 1, 'the first call was a miss, stored');
  t.equal(s.hits, 1, 'the second a hit');
});
