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
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, ON_PIPES, printingCrate, printingCrateArgs, run, tempDir } from './helpers.js';

const UID = 4711;
const root = process.getuid?.() === 0;
const noEntry = root && spawnSync('getent', ['passwd', String(UID)]).status === 2;
const sysroot = root ? (await run('rustc', ['--print', 'sysroot'])).stdout.trim() : '';
// Not a tempDir(): that one is removed recursively at exit, and this one holds a mount until then.
const toolchain = mkdtempSync(join(tmpdir(), 'sc-toolchain-'));
chmodSync(toolchain, 0o755);
const mounted = noEntry && spawnSync('mount', ['--bind', '-o', 'ro', sysroot, toolchain]).status === 0;
process.on('exit', () => {
  if (mounted) spawnSync('umount', ['-l', toolchain]);
  try {
    rmdirSync(toolchain);
  } catch {
    /* still mounted: left for the OS */
  }
});
const usable = mounted && spawnSync('test', ['-x', process.execPath], { uid: UID, gid: UID }).status === 0 && spawnSync('test', ['-r', BIN], { uid: UID, gid: UID }).status === 0;
const skip = !usable && (!root ? 'needs root, to run as a uid with no passwd entry' : !noEntry ? `uid ${UID} has a passwd entry here` : !mounted ? 'cannot bind-mount the toolchain' : 'node or the install is not readable by another uid');

const rustc = join(toolchain, 'bin', 'rustc');

/** A directory of the uid's own. */
function ownDir(prefix: string): string {
  const dir = tempDir(prefix);
  chownSync(dir, UID, UID);
  return dir;
}

/** The crate's call as the uid, with no HOME, its output on pipes (as cargo gives it, so the exec port may take it). */
function call(cwd: string, env: Record<string, string>) {
  rmSync(join(cwd, 'out', 'trial-t'), { force: true });
  return spawnSync('/bin/bash', ['-c', ON_PIPES, '_', BIN, rustc, ...printingCrateArgs(cwd)], {
    cwd,
    env: { PATH: `${join(process.execPath, '..')}:/usr/local/bin:/usr/bin:/bin`, SPLITCACHE_IDLE_TIMEOUT: '60', ...env },
    uid: UID,
    gid: UID,
    encoding: 'utf8',
    timeout: 60_000,
  });
}

function crate(text: string): string {
  const cwd = printingCrate(text);
  for (const p of [cwd, join(cwd, 'src'), join(cwd, 'src', 'main.rs'), join(cwd, 'out')]) chownSync(p, UID, UID);
  return cwd;
}

t.test('no HOME and no passwd entry, no SPLITCACHE_DIR: the call builds uncached with one line saying what to set', { skip }, async (t) => {
  const cwd = crate('no home');
  const tmp = ownDir('tmp');
  const first = call(cwd, { TMPDIR: tmp });
  t.equal(first.status, 0, 'the call succeeds');
  t.match(first.stderr, /^splitcache: SPLITCACHE_DAEMON_UNREACHABLE: no store dir: HOME is unset and uid 4711 has no home directory[^\n]*set SPLITCACHE_DIR[^\n]*\(building uncached\)\n$/, 'one line says what to set');
  t.ok(existsSync(join(cwd, 'out', 'trial-t')), 'the binary is built');
  const second = call(cwd, { TMPDIR: tmp });
  t.equal(second.status, 0, 'the next call succeeds');
  t.equal(second.stderr, '', 'and says nothing again within the minute');
  const stats = spawnSync(BIN, ['stats'], { env: { PATH: process.env.PATH, TMPDIR: tmp }, uid: UID, gid: UID, encoding: 'utf8' });
  t.equal(stats.status, 1, 'a subcommand exits 1');
  t.match(stats.stderr, /^splitcache: SPLITCACHE_DAEMON_UNREACHABLE: no store dir: [^\n]*\n$/, 'with the same one line');
});

t.test('no HOME and no passwd entry, SPLITCACHE_DIR set: the second call hits', { skip }, async (t) => {
  const cwd = crate('no home, own store');
  const env = { TMPDIR: ownDir('tmp'), SPLITCACHE_DIR: join(ownDir('store'), 's') };
  t.teardown(() => void spawnSync(BIN, ['server', 'stop'], { env: { PATH: process.env.PATH, ...env }, uid: UID, gid: UID }));
  const first = call(cwd, env);
  t.equal(first.status, 0, 'the first call succeeds');
  t.equal(first.stderr, '', 'silently');
  const second = call(cwd, env);
  t.equal(second.status, 0, 'the second call succeeds');
  t.equal(second.stderr, '', 'silently');
  t.equal(spawnSync(join(cwd, 'out', 'trial-t'), { encoding: 'utf8' }).stdout, 'no home, own store\n', 'the binary runs');
  const stats = spawnSync(BIN, ['stats', '--json'], { env: { PATH: process.env.PATH, ...env }, uid: UID, gid: UID, encoding: 'utf8' });
  t.equal(stats.status, 0, 'stats answers');
  const s = JSON.parse(stats.stdout || '{}') as { hits?: number; misses?: number };
  t.equal(s.misses, 1, 'the first call was a miss, stored');
  t.equal(s.hits, 1, 'the second a hit');
});
