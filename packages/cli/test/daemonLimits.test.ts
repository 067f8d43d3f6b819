import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, oneFileCrate, run, Store } from './helpers.js';

// The daemon serves every build's calls at once, with the open-file limit of the shell that
// happened to start it (node raises its soft limit to the hard one as it starts, and no more).
// A hunting helper's daemon, started under `ulimit -n 64`, ran out of descriptors under four
// builds at once: each blob it could not open was taken for a missing one, and 15 good entries
// were evicted, their blobs all still on disk.

/** The soft and hard open-file limits of process `pid`. */
function openFiles(pid: number | 'self'): { soft: string; hard: string } {
  const [soft, hard] = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'))!.slice(1);
  return { soft: soft!, hard: hard! };
}

/** A lib crate in a new dir, and the arguments that compile it into its out/ (all its outputs small). */
function libCall(text: string): { cwd: string; args: string[] } {
  const cwd = oneFileCrate(`pub fn text() -> &'static str { "${text}" }\n`);
  return { cwd, args: ['rustc', '--crate-name', 'fdlimit', '--edition=2021', 'src/main.rs', '--crate-type', 'lib', '--emit=dep-info,metadata,link', '--out-dir', join(cwd, 'out')] };
}

t.test("a blob the daemon can't open for want of file descriptors is not a missing blob: its entry stays", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const c = libCall('kept');
  const env = store.env({ SPLITCACHE_CLIENT: 'node' });
  const call = () => run(BIN, c.args, { cwd: c.cwd, env });
  // Older than the digest memo's racy window, as a checkout's sources are: the daemon takes its digest from the memo, no file opened.
  await new Promise((r) => setTimeout(r, 2_500));
  t.equal((await call()).code, 0, 'the first call builds, and its result is stored');
  const pid = store.daemonPid();
  const { hard } = openFiles(pid);
  // The limit bounds a descriptor's number: one above the lowest free now, which the call's
  // connection takes, and no blob can be opened.
  await new Promise((r) => setTimeout(r, 300));
  const open = new Set(readdirSync(`/proc/${pid}/fd`).map(Number));
  let free = 0;
  while (open.has(free)) free++;
  t.equal(spawnSync('prlimit', ['--pid', String(pid), `--nofile=${free + 1}:${hard}`]).status, 0, 'the limit is lowered');
  for (const f of readdirSync(join(c.cwd, 'out'))) rmSync(join(c.cwd, 'out', f));
  const starved = await call();
  t.equal(starved.code, 0, `the call builds all the same (${starved.stderr})`);
  t.ok(existsSync(join(c.cwd, 'out', 'libfdlimit.rlib')), 'and writes its rlib');
  t.match(starved.stderr, /SPLITCACHE_STORE_IO: cannot read blob [0-9a-f]+: EMFILE \(too many open files: ulimit -n\) \(compiling \S+ instead\)/, 'one line says what ran out');
  t.notMatch(starved.stderr, /BLOB_MISSING|evicted/, 'not that a blob is missing');
  t.equal(spawnSync('prlimit', ['--pid', String(pid), `--nofile=${hard}:${hard}`]).status, 0, 'the limit is raised again');
  for (const f of readdirSync(join(c.cwd, 'out'))) rmSync(join(c.cwd, 'out', f));
  t.equal((await call()).code, 0);
  const calls = await store.calls();
  t.same(calls.map((l) => l.outcome), ['miss', 'miss', 'hit'], 'the next call hits the entry that was kept');
});

t.test("a daemon started under `ulimit -f` says so when a blob is past that limit", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const start = await run('bash', ['-c', 'ulimit -f 200 && exec "$@"', 'limited', BIN, 'server', 'start'], { env: store.env() });
  t.equal(start.code, 0, start.stderr);
  // A lib whose rlib holds 400 KB of data: past 200 blocks of 512 bytes.
  const cwd = oneFileCrate('pub static BIG: [u8; 400_000] = [1; 400_000];\n');
  const r = await run(BIN, ['rustc', '--crate-name', 'big', '--edition=2021', 'src/main.rs', '--crate-type', 'lib', '--emit=dep-info,metadata,link', '--out-dir', join(cwd, 'out')], { cwd, env: store.env() });
  t.equal(r.code, 0, 'the call builds');
  t.ok(existsSync(join(cwd, 'out', 'libbig.rlib')), 'and writes its rlib');
  t.match(r.stderr, /^splitcache: SPLITCACHE_STORE_IO: cannot (write blob [0-9a-f]+|store \S+): EFBIG \(the daemon's file size limit: `ulimit -f` in the shell that started it; `splitcache server stop` lets the next build start one without it\) \(the result of \S+ is not stored; the build goes on\)$/m, `one line names the limit (${r.stderr})`);
});
